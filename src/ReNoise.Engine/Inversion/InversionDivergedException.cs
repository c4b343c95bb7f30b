namespace ReNoise.Engine.Inversion;

/// <summary>
/// The inversion produced non-finite values (NaN or infinity). With real models this happens when
/// the regularization weights are far too large for the predictions' scale, or (unregularized) when
/// the inverse steps carry the latent past the model's range. It says where, and which parameters to
/// lower (<see cref="Remedies"/>, so a front end can name them in its own words), instead of
/// handing back a garbage latent.
/// </summary>
public sealed class InversionDivergedException : Exception
{
    public InversionDivergedException(int timestep, bool regularized)
        : base(Text(timestep, regularized, key => key.ToString()))
    {
        Timestep = timestep;
        Regularized = regularized;
        Remedies = regularized
            ? [ParameterKey.LambdaAc, ParameterKey.LambdaKl, ParameterKey.RenoiseSteps]
            : [ParameterKey.InversionSteps, ParameterKey.RenoiseSteps];
    }

    /// <summary>The timestep whose inverse step diverged.</summary>
    public int Timestep { get; }

    /// <summary>True when the regularization was on (then its weights are the first suspects).</summary>
    public bool Regularized { get; }

    /// <summary>The parameters whose lowering avoids the divergence, most likely first.</summary>
    public IReadOnlyList<ParameterKey> Remedies { get; }

    /// <summary>The message with each parameter named by <paramref name="name"/>.</summary>
    public string Describe(Func<ParameterKey, string> name) => Text(Timestep, Regularized, name);

    private static string Text(int timestep, bool regularized, Func<ParameterKey, string> name) => regularized
        ? $"the inversion diverged at timestep {timestep} (non-finite latent); lower {name(ParameterKey.LambdaAc)}, {name(ParameterKey.LambdaKl)} or {name(ParameterKey.RenoiseSteps)}"
        : $"the inversion diverged at timestep {timestep} (non-finite latent) without regularization: the inverse steps grow the latent past the model's range; lower {name(ParameterKey.InversionSteps)} or {name(ParameterKey.RenoiseSteps)}";
}
