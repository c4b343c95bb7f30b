using ReNoise.Engine.Inversion;

namespace ReNoise.Engine.Schedulers;

/// <summary>Builds a scheduler by name, or the model's own from scheduler_config.json's _class_name.</summary>
internal static class SchedulerFactory
{
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
            SchedulerNames.Ddim => new DdimScheduler(config, steps),
            SchedulerNames.EulerAncestral => new EulerAncestralScheduler(config, steps),
            SchedulerNames.Lcm => new LcmScheduler(config, steps),
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
        return DefaultNameFor(config.ClassName, out isFallback);
    }

    /// <summary>As <see cref="DefaultNameFor(SchedulerConfig, out bool)"/>, from the config's <c>_class_name</c>.</summary>
    public static string DefaultNameFor(string? className, out bool isFallback)
    {
        string? name = className switch
        {
            "DDIMScheduler" => SchedulerNames.Ddim,
            "EulerAncestralDiscreteScheduler" => SchedulerNames.EulerAncestral,
            "LCMScheduler" => SchedulerNames.Lcm,
            _ => null,
        };
        isFallback = name is null;
        return name ?? SchedulerNames.Ddim;
    }

    /// <summary>Maps a user-given name to its canonical form; an unknown name is a problem with <see cref="ParameterKey.Scheduler"/>.</summary>
    public static string Normalize(string name) =>
        SchedulerNames.TryNormalize(name, out var canonical)
            ? canonical
            : throw new ReNoiseInputException(new ParameterProblem(ParameterKey.Scheduler,
                $"must be one of {string.Join(", ", SchedulerNames.All)}, got '{name}'"));
}
