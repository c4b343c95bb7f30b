using ReNoise.Engine.Inversion;
using ReNoise.Engine.Schedulers;

namespace ReNoise.Formats;

/// <summary>
/// The words manifests (and the CLI) use for the enumerated parameters: noise correction
/// "on" (the reference's procedure), "off", "exact"; acceleration "none", "anderson".
/// </summary>
public static class ParameterWords
{
    public static IReadOnlyList<string> NoiseCorrectionWords { get; } = ["on", "off", "exact"];
    public static IReadOnlyList<string> AccelerationWords { get; } = ["none", "anderson"];

    public static string Of(NoiseCorrectionMode mode) => mode switch
    {
        NoiseCorrectionMode.Off => "off",
        NoiseCorrectionMode.Exact => "exact",
        _ => "on",
    };

    public static string Of(RenoiseAcceleration mode) => mode == RenoiseAcceleration.Anderson ? "anderson" : "none";

    public static bool TryParseNoiseCorrection(string? text, out NoiseCorrectionMode mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "on": mode = NoiseCorrectionMode.Reference; return true;
            case "off": mode = NoiseCorrectionMode.Off; return true;
            case "exact": mode = NoiseCorrectionMode.Exact; return true;
            default: mode = default; return false;
        }
    }

    public static bool TryParseAcceleration(string? text, out RenoiseAcceleration mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "none": mode = RenoiseAcceleration.None; return true;
            case "anderson": mode = RenoiseAcceleration.Anderson; return true;
            default: mode = default; return false;
        }
    }

    /// <summary>Parses "LO:HI" (integers); false when the text has another form. Bounds are the parameters' to check.</summary>
    public static bool TryParseWindow(string? text, out AveragingWindow window)
    {
        window = default;
        var parts = (text ?? "").Split(':');
        if (parts.Length != 2
            || !int.TryParse(parts[0], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int lo)
            || !int.TryParse(parts[1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int hi))
            return false;
        window = new AveragingWindow(lo, hi);
        return true;
    }
}

/// <summary>
/// The "parameters" object of an inversion manifest (and of a gallery row): every ReNoise parameter
/// of <see cref="InversionParameters"/> but the sampler, the size and the LCM guidance scale, which
/// the manifest records beside it.
/// </summary>
public sealed record ParameterRecord
{
    public int Steps { get; init; }
    public int RenoiseSteps { get; init; }
    public int FirstStepRenoiseCap { get; init; }
    public double Strength { get; init; }
    public bool Average { get; init; }
    public string AverageFirst { get; init; } = "";
    public string AverageRest { get; init; } = "";
    public double Guidance { get; init; }
    public double LambdaAc { get; init; }
    public double LambdaKl { get; init; }
    public int RegSteps { get; init; }
    public int AcRolls { get; init; }
    public string NoiseCorrection { get; init; } = "";
    public int Seed { get; init; }

    /// <summary>The CLI's --noise-in folder, when the draws were replaced.</summary>
    public string? NoiseIn { get; init; }

    public double RenoiseTolerance { get; init; }
    public string RenoiseAccel { get; init; } = "none";

    /// <summary>Anderson depth; records written before it was kept read as the default.</summary>
    public int AndersonDepth { get; init; } = InversionParameters.DefaultAndersonDepth;

    public static ParameterRecord From(InversionParameters p, string? noiseIn = null) => new()
    {
        Steps = p.InversionSteps,
        RenoiseSteps = p.RenoiseSteps,
        FirstStepRenoiseCap = p.FirstStepRenoiseCap,
        Strength = p.Strength,
        Average = p.Averaging,
        AverageFirst = p.AverageFirstStep.ToString(),
        AverageRest = p.AverageOtherSteps.ToString(),
        Guidance = p.InversionGuidance,
        LambdaAc = p.LambdaAc,
        LambdaKl = p.LambdaKl,
        RegSteps = p.RegularizationSteps,
        AcRolls = p.AcRolls,
        NoiseCorrection = ParameterWords.Of(p.NoiseCorrection),
        Seed = p.Seed,
        NoiseIn = noiseIn,
        RenoiseTolerance = p.RenoiseTolerance,
        RenoiseAccel = ParameterWords.Of(p.RenoiseAcceleration),
        AndersonDepth = p.AndersonDepth,
    };

    /// <summary>The parameters this record holds, with what the manifest records beside it; unreadable words are a <see cref="FormatException"/>.</summary>
    public InversionParameters ToParameters(string? scheduler = null, int? width = null, int? height = null, double? lcmGuidanceScale = null)
    {
        if (!ParameterWords.TryParseWindow(AverageFirst, out var first)) throw new FormatException($"averageFirst '{AverageFirst}' is not LO:HI");
        if (!ParameterWords.TryParseWindow(AverageRest, out var rest)) throw new FormatException($"averageRest '{AverageRest}' is not LO:HI");
        if (!ParameterWords.TryParseNoiseCorrection(NoiseCorrection, out var correction))
            throw new FormatException($"noiseCorrection '{NoiseCorrection}' is not one of {string.Join(", ", ParameterWords.NoiseCorrectionWords)}");
        if (!ParameterWords.TryParseAcceleration(RenoiseAccel, out var accel))
            throw new FormatException($"renoiseAccel '{RenoiseAccel}' is not one of {string.Join(", ", ParameterWords.AccelerationWords)}");
        return new InversionParameters
        {
            InversionSteps = Steps,
            RenoiseSteps = RenoiseSteps,
            FirstStepRenoiseCap = FirstStepRenoiseCap,
            Strength = Strength,
            Averaging = Average,
            AverageFirstStep = first,
            AverageOtherSteps = rest,
            InversionGuidance = Guidance,
            LambdaAc = LambdaAc,
            LambdaKl = LambdaKl,
            RegularizationSteps = RegSteps,
            AcRolls = AcRolls,
            NoiseCorrection = correction,
            Seed = Seed,
            RenoiseTolerance = RenoiseTolerance,
            RenoiseAcceleration = accel,
            AndersonDepth = AndersonDepth,
            Scheduler = scheduler,
            Width = width,
            Height = height,
            LcmGuidanceScale = lcmGuidanceScale,
        };
    }
}
