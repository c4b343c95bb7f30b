namespace ReNoise.Engine.Inversion;

/// <summary>
/// Weights and iteration counts of the noise regularization (spec §8); defaults are the
/// reference's SDXL-Turbo values (spec §2). A weight of 0 switches that loss off; 0 steps switch
/// the whole regularization off (and then no e_opt is needed).
/// </summary>
internal sealed record RegularizationOptions(
    double LambdaAc = RegularizationOptions.DefaultLambdaAc,
    double LambdaKl = RegularizationOptions.DefaultLambdaKl,
    int Steps = RegularizationOptions.DefaultSteps,
    int AcRolls = RegularizationOptions.DefaultAcRolls)
{
    public const double DefaultLambdaAc = 20.0;
    public const double DefaultLambdaKl = 0.065;
    public const int DefaultSteps = 4;
    public const int DefaultAcRolls = 5;

    public static RegularizationOptions Default { get; } = new();

    /// <summary>True when the regularization does anything (the inversion then also needs e_opt).</summary>
    public bool Enabled => Steps > 0;

    /// <summary>Rejects values the user may have typed wrongly, with a one-line message.</summary>
    public void Validate()
    {
        if (!double.IsFinite(LambdaAc) || LambdaAc < 0)
            throw new ReNoiseInputException($"lambda_ac must be a finite number >= 0 (got {LambdaAc}).");
        if (!double.IsFinite(LambdaKl) || LambdaKl < 0)
            throw new ReNoiseInputException($"lambda_kl must be a finite number >= 0 (got {LambdaKl}).");
        if (Steps < 0)
            throw new ReNoiseInputException($"regularization steps must be >= 0 (got {Steps}).");
        if (AcRolls < 0)
            throw new ReNoiseInputException($"AC rolls must be >= 0 (got {AcRolls}).");
    }
}
