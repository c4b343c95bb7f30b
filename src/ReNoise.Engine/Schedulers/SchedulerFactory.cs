namespace ReNoise.Engine.Schedulers;

/// <summary>Builds a scheduler by CLI name, or the model's own from scheduler_config.json's _class_name.</summary>
public static class SchedulerFactory
{
    public const string Ddim = "ddim";
    public const string EulerAncestral = "euler-ancestral";
    public const string Lcm = "lcm";

    /// <summary>The valid scheduler names.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly([Ddim, EulerAncestral, Lcm]);

    /// <summary>
    /// Creates scheduler <paramref name="name"/> (case-insensitive), or the model's own when null
    /// (see <see cref="DefaultNameFor"/>), for <paramref name="steps"/> inference steps.
    /// </summary>
    public static IScheduler Create(string? name, SchedulerConfig config, int steps)
    {
        ArgumentNullException.ThrowIfNull(config);
        string resolved = name is null ? DefaultNameFor(config, out _) : Normalize(name);
        return resolved switch
        {
            Ddim => new DdimScheduler(config, steps),
            EulerAncestral => new EulerAncestralScheduler(config, steps),
            Lcm => new LcmScheduler(config, steps),
            _ => throw new InvalidOperationException($"unhandled scheduler name {resolved}"),
        };
    }

    /// <summary>
    /// The scheduler name matching the config's _class_name: DDIMScheduler -> ddim,
    /// EulerAncestralDiscreteScheduler -> euler-ancestral, LCMScheduler -> lcm. Any other class
    /// (PNDM, Euler, DPM-Solver...) or none falls back to ddim with <paramref name="isFallback"/> set,
    /// so the caller can say so.
    /// </summary>
    public static string DefaultNameFor(SchedulerConfig config, out bool isFallback)
    {
        ArgumentNullException.ThrowIfNull(config);
        string? name = config.ClassName switch
        {
            "DDIMScheduler" => Ddim,
            "EulerAncestralDiscreteScheduler" => EulerAncestral,
            "LCMScheduler" => Lcm,
            _ => null,
        };
        isFallback = name is null;
        return name ?? Ddim;
    }

    /// <summary>Maps a user-given name to its canonical form; unknown names are a <see cref="ReNoiseInputException"/>.</summary>
    public static string Normalize(string name)
    {
        string trimmed = name.Trim();
        foreach (string valid in Names)
            if (string.Equals(trimmed, valid, StringComparison.OrdinalIgnoreCase)) return valid;
        throw new ReNoiseInputException($"unknown scheduler \"{name}\" (valid: {string.Join(", ", Names)})");
    }
}
