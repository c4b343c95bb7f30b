namespace ReNoise.Engine.Schedulers;

/// <summary>The samplers the engine inverts, by the names parameters, manifests and front ends use.</summary>
public static class SchedulerNames
{
    public const string Ddim = "ddim";
    public const string EulerAncestral = "euler-ancestral";
    public const string Lcm = "lcm";

    /// <summary>The valid scheduler names.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly([Ddim, EulerAncestral, Lcm]);

    /// <summary>The canonical form of <paramref name="name"/> (case and surrounding spaces ignored); false when unknown.</summary>
    public static bool TryNormalize(string name, out string canonical)
    {
        ArgumentNullException.ThrowIfNull(name);
        string trimmed = name.Trim();
        foreach (string valid in All)
        {
            if (string.Equals(trimmed, valid, StringComparison.OrdinalIgnoreCase))
            {
                canonical = valid;
                return true;
            }
        }
        canonical = "";
        return false;
    }

    /// <summary>True for the samplers whose forward steps draw a noise map (Euler ancestral, LCM).</summary>
    public static bool IsStochastic(string name) => TryNormalize(name, out var c) && c != Ddim;
}
