using ReNoise.Engine.Schedulers;

namespace ReNoise.Engine.Inversion;

/// <summary>How the per-step fixed-point iteration z = InverseStep(z_t, eps(z)) is advanced.</summary>
public enum RenoiseAcceleration
{
    /// <summary>Plain fixed-point iteration (spec §5): the next guess is G(guess).</summary>
    None,

    /// <summary>
    /// Anderson acceleration (type II, depth <see cref="ReNoiseOptions.AndersonDepth"/>): the next
    /// guess mixes the last G values so as to minimise the linearised fixed-point residual.
    /// </summary>
    Anderson,
}

/// <summary>The CLI's words for <see cref="RenoiseAcceleration"/>.</summary>
public static class RenoiseAccelerationNames
{
    public static string ToCli(RenoiseAcceleration mode) => mode == RenoiseAcceleration.Anderson ? "anderson" : "none";

    public static RenoiseAcceleration Parse(string text) => text.ToLowerInvariant() switch
    {
        "none" => RenoiseAcceleration.None,
        "anderson" => RenoiseAcceleration.Anderson,
        _ => throw new ReNoiseInputException($"--renoise-accel must be none or anderson, got '{text}'"),
    };
}

/// <summary>Every parameter of the ReNoise method (spec §2), with the paper's SDXL-Turbo defaults.</summary>
public sealed record ReNoiseOptions
{
    /// <summary>Timesteps below this use the first-step averaging window and the renoise cap.</summary>
    public const int FirstStepMaxTimestep = 250;

    /// <summary>N: timesteps of the schedule; the edit run uses the same ones.</summary>
    public int InversionSteps { get; init; } = 4;

    /// <summary>R: extra iterations per step, one model call each.</summary>
    public int RenoiseSteps { get; init; } = 9;

    /// <summary>For t &lt; 250, R is min(R, cap).</summary>
    public int FirstStepRenoiseCap { get; init; } = 5;

    /// <summary>Fraction of the schedule inverted, in (0, 1].</summary>
    public double Strength { get; init; } = 1.0;

    public bool Averaging { get; init; } = true;
    public AveragingWindow AverageFirstStep { get; init; } = new(0, 5);
    public AveragingWindow AverageOtherSteps { get; init; } = new(8, 10);

    /// <summary>Classifier-free guidance during inversion; off when &lt;= 1.</summary>
    public double InversionGuidance { get; init; } = 0.0;

    public double LambdaAc { get; init; } = 20.0;
    public double LambdaKl { get; init; } = 0.065;
    public int RegularizationSteps { get; init; } = 4;
    public int AcRolls { get; init; } = 5;

    public NoiseCorrectionMode NoiseCorrection { get; init; } = NoiseCorrectionMode.Reference;

    public int Seed { get; init; } = 7865;

    /// <summary>
    /// Adaptive renoise: a step stops iterating after the first iteration k &gt;= 1 whose fixed-point
    /// residual ||G(z^(k-1)) - z^(k-1)|| / ||G(z^(k-1))|| (for the plain iteration, the relative
    /// change of the iterate) is below this; an averaging window not complete by then is shifted
    /// to end at k (it averages the last predictions made).
    /// 0 (the default) runs every R_t iteration, exactly as spec §5.
    /// </summary>
    public double RenoiseTolerance { get; init; }

    public RenoiseAcceleration RenoiseAcceleration { get; init; } = RenoiseAcceleration.None;

    /// <summary>Anderson history depth m (differences kept), used when <see cref="RenoiseAcceleration"/> is Anderson.</summary>
    public int AndersonDepth { get; init; } = DefaultAndersonDepth;

    public const int DefaultAndersonDepth = 2;
    public const int MaxAndersonDepth = 8;

    /// <summary>Throws <see cref="ReNoiseInputException"/> naming the first bad parameter.</summary>
    public void Validate()
    {
        if (InversionSteps < 1) throw new ReNoiseInputException($"--steps must be at least 1, got {InversionSteps}");
        if (RenoiseSteps < 0) throw new ReNoiseInputException($"--renoise-steps must be 0 or more, got {RenoiseSteps}");
        if (FirstStepRenoiseCap < 0) throw new ReNoiseInputException($"--first-step-renoise-cap must be 0 or more, got {FirstStepRenoiseCap}");
        if (!(Strength > 0 && Strength <= 1)) throw new ReNoiseInputException($"--strength must be in (0, 1], got {Strength}");
        AverageFirstStep.Validate("--average-first");
        AverageOtherSteps.Validate("--average-rest");
        if (!double.IsFinite(InversionGuidance) || InversionGuidance < 0) throw new ReNoiseInputException($"--guidance must be a finite number >= 0, got {InversionGuidance}");
        if (!double.IsFinite(LambdaAc) || LambdaAc < 0) throw new ReNoiseInputException($"--lambda-ac must be >= 0, got {LambdaAc}");
        if (!double.IsFinite(LambdaKl) || LambdaKl < 0) throw new ReNoiseInputException($"--lambda-kl must be >= 0, got {LambdaKl}");
        if (RegularizationSteps < 0) throw new ReNoiseInputException($"--reg-steps must be 0 or more, got {RegularizationSteps}");
        if (AcRolls < 1 && LambdaAc > 0 && RegularizationSteps > 0) throw new ReNoiseInputException($"--ac-rolls must be at least 1, got {AcRolls}");
        if (!double.IsFinite(RenoiseTolerance) || RenoiseTolerance < 0) throw new ReNoiseInputException($"--renoise-tolerance must be a finite number >= 0, got {RenoiseTolerance}");
        if (!Enum.IsDefined(RenoiseAcceleration)) throw new ReNoiseInputException($"--renoise-accel must be none or anderson, got {RenoiseAcceleration}");
        if (AndersonDepth < 1 || AndersonDepth > MaxAndersonDepth) throw new ReNoiseInputException($"the Anderson depth must be in 1..{MaxAndersonDepth}, got {AndersonDepth}");
    }

    /// <summary>The averaging window of timestep t.</summary>
    public AveragingWindow WindowFor(int timestep) => timestep < FirstStepMaxTimestep ? AverageFirstStep : AverageOtherSteps;

    /// <summary>R_t: the renoise iterations of timestep t.</summary>
    public int RenoiseStepsFor(int timestep) => timestep < FirstStepMaxTimestep ? Math.Min(RenoiseSteps, FirstStepRenoiseCap) : RenoiseSteps;

    /// <summary>
    /// How many predictions the averaging window of timestep t averages when all R_t iterations
    /// run: the window clipped to iterations 0..R_t (0 when it covers none, or averaging is off).
    /// </summary>
    public int AveragedCountFor(int timestep)
    {
        if (!Averaging) return 0;
        var window = WindowFor(timestep);
        int end = Math.Min(window.End, RenoiseStepsFor(timestep) + 1);
        return Math.Max(0, end - window.Start);
    }
}
