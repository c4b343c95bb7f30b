using System.Globalization;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Schedulers;

namespace ReNoise.Web.Services;

/// <summary>
/// Every ReNoise parameter of spec §2 as the studio's form edits it (plain mutable values), with
/// the conversion to the engine's <see cref="ReNoiseOptions"/> and its validation.
/// </summary>
public sealed class ParameterSet
{
    public int InversionSteps { get; set; }
    public int RenoiseSteps { get; set; }
    public int FirstStepRenoiseCap { get; set; }
    public double Strength { get; set; }
    public bool Averaging { get; set; }
    public int AverageFirstStart { get; set; }
    public int AverageFirstEnd { get; set; }
    public int AverageRestStart { get; set; }
    public int AverageRestEnd { get; set; }
    public double InversionGuidance { get; set; }
    public double LambdaAc { get; set; }
    public double LambdaKl { get; set; }
    public int RegularizationSteps { get; set; }
    public int AcRolls { get; set; }
    public NoiseCorrectionMode NoiseCorrection { get; set; }
    public int Seed { get; set; }
    public double RenoiseTolerance { get; set; }
    public RenoiseAcceleration RenoiseAcceleration { get; set; }

    public static ParameterSet From(ReNoiseOptions o) => new()
    {
        InversionSteps = o.InversionSteps,
        RenoiseSteps = o.RenoiseSteps,
        FirstStepRenoiseCap = o.FirstStepRenoiseCap,
        Strength = o.Strength,
        Averaging = o.Averaging,
        AverageFirstStart = o.AverageFirstStep.Start,
        AverageFirstEnd = o.AverageFirstStep.End,
        AverageRestStart = o.AverageOtherSteps.Start,
        AverageRestEnd = o.AverageOtherSteps.End,
        InversionGuidance = o.InversionGuidance,
        LambdaAc = o.LambdaAc,
        LambdaKl = o.LambdaKl,
        RegularizationSteps = o.RegularizationSteps,
        AcRolls = o.AcRolls,
        NoiseCorrection = o.NoiseCorrection,
        Seed = o.Seed,
        RenoiseTolerance = o.RenoiseTolerance,
        RenoiseAcceleration = o.RenoiseAcceleration,
    };

    public ReNoiseOptions ToOptions() => new()
    {
        InversionSteps = InversionSteps,
        RenoiseSteps = RenoiseSteps,
        FirstStepRenoiseCap = FirstStepRenoiseCap,
        Strength = Strength,
        Averaging = Averaging,
        AverageFirstStep = new AveragingWindow(AverageFirstStart, AverageFirstEnd),
        AverageOtherSteps = new AveragingWindow(AverageRestStart, AverageRestEnd),
        InversionGuidance = InversionGuidance,
        LambdaAc = LambdaAc,
        LambdaKl = LambdaKl,
        RegularizationSteps = RegularizationSteps,
        AcRolls = AcRolls,
        NoiseCorrection = NoiseCorrection,
        Seed = Seed,
        RenoiseTolerance = RenoiseTolerance,
        RenoiseAcceleration = RenoiseAcceleration,
    };

    public ParameterSet Clone() => (ParameterSet)MemberwiseClone();

    /// <summary>
    /// Null when the engine accepts these values; otherwise <see cref="ReNoiseOptions.Validate"/>'s
    /// message with the CLI option replaced by the field's label, so it reads in the page.
    /// </summary>
    public string? Validate()
    {
        try
        {
            ToOptions().Validate();
            return null;
        }
        catch (ReNoiseInputException e)
        {
            return Describe(e.Message);
        }
    }

    /// <summary>Labels of the form fields by the CLI option names the engine's messages use.</summary>
    public static readonly IReadOnlyDictionary<string, string> LabelsByOption = new Dictionary<string, string>
    {
        ["--steps"] = "Inversion steps N",
        ["--renoise-steps"] = "Renoise steps R",
        ["--first-step-renoise-cap"] = "First-step renoise cap",
        ["--strength"] = "Strength",
        ["--average-first"] = "Averaging window for t < 250",
        ["--average-rest"] = "Averaging window for t ≥ 250",
        ["--guidance"] = "Inversion guidance",
        ["--lambda-ac"] = "λ AC",
        ["--lambda-kl"] = "λ KL",
        ["--reg-steps"] = "Regularization steps",
        ["--ac-rolls"] = "AC rolls",
        ["--renoise-tolerance"] = "Adaptive tolerance",
        ["--renoise-accel"] = "Acceleration",
    };

    /// <summary>
    /// The engine's message with each CLI option replaced by the form field's label:
    /// "--steps must be at least 1, got 0" → "Inversion steps N must be at least 1, got 0".
    /// </summary>
    public static string Describe(string engineMessage)
    {
        string text = engineMessage;
        // Longest first, so that --renoise-steps is not read as --steps.
        foreach (var (option, label) in LabelsByOption.OrderByDescending(p => p.Key.Length))
            text = text.Replace(option, label, StringComparison.Ordinal);
        return text;
    }

    /// <summary>One line naming every value, for job lists and the share page.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"N={InversionSteps} R={RenoiseSteps} cap={FirstStepRenoiseCap} strength={Strength} averaging={(Averaging ? "on" : "off")} " +
        $"{AverageFirstStart}:{AverageFirstEnd}/{AverageRestStart}:{AverageRestEnd} guidance={InversionGuidance} λac={LambdaAc} λkl={LambdaKl} " +
        $"reg={RegularizationSteps}x{AcRolls} correction={NoiseCorrectionNames.ToCli(NoiseCorrection)} seed={Seed} " +
        $"tolerance={RenoiseTolerance} accel={RenoiseAccelerationNames.ToCli(RenoiseAcceleration)}");
}
