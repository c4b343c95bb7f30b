using ReNoise.Engine.Schedulers;

namespace ReNoise.Engine.Inversion;

/// <summary>The CLI's words for the noise-correction modes: "on" is the reference's procedure.</summary>
public static class NoiseCorrectionNames
{
    public static string ToCli(NoiseCorrectionMode mode) => mode switch
    {
        NoiseCorrectionMode.Off => "off",
        NoiseCorrectionMode.Exact => "exact",
        _ => "on",
    };

    public static NoiseCorrectionMode Parse(string text) => text.ToLowerInvariant() switch
    {
        "on" => NoiseCorrectionMode.Reference,
        "off" => NoiseCorrectionMode.Off,
        "exact" => NoiseCorrectionMode.Exact,
        _ => throw new ReNoiseInputException($"--noise-correction must be on, off or exact, got '{text}'"),
    };
}
