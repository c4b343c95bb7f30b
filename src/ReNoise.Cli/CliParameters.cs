using System.CommandLine;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Formats;

namespace ReNoise.Cli;

/// <summary>
/// The CLI's words for the engine's parameters: the one table from <see cref="ParameterKey"/> to
/// option names, used to name a parameter in every message the engine's problems become.
/// </summary>
internal static class CliParameters
{
    public static readonly IReadOnlyDictionary<ParameterKey, string> Flags = new Dictionary<ParameterKey, string>
    {
        [ParameterKey.InversionSteps] = "--steps",
        [ParameterKey.RenoiseSteps] = "--renoise-steps",
        [ParameterKey.FirstStepRenoiseCap] = "--first-step-renoise-cap",
        [ParameterKey.Strength] = "--strength",
        [ParameterKey.Averaging] = "--average",
        [ParameterKey.AverageFirstStep] = "--average-first",
        [ParameterKey.AverageOtherSteps] = "--average-rest",
        [ParameterKey.InversionGuidance] = "--guidance",
        [ParameterKey.LambdaAc] = "--lambda-ac",
        [ParameterKey.LambdaKl] = "--lambda-kl",
        [ParameterKey.RegularizationSteps] = "--reg-steps",
        [ParameterKey.AcRolls] = "--ac-rolls",
        [ParameterKey.NoiseCorrection] = "--noise-correction",
        [ParameterKey.Seed] = "--seed",
        [ParameterKey.RenoiseTolerance] = "--renoise-tolerance",
        [ParameterKey.RenoiseAcceleration] = "--renoise-accel",
        [ParameterKey.AndersonDepth] = "--anderson-depth",
        [ParameterKey.Scheduler] = "--scheduler",
        [ParameterKey.Width] = "--width",
        [ParameterKey.Height] = "--height",
        [ParameterKey.LcmGuidanceScale] = "--lcm-guidance",
        [ParameterKey.EditGuidance] = "--guidance",
    };

    public static string Flag(ParameterKey key) => Flags[key];

    /// <summary>An input error as the CLI prints it: parameters named by their flags.</summary>
    public static string Describe(ReNoiseInputException e) => e.Describe(Flag);

    public static bool ParseOnOff(string text, ParameterKey key) => text.Trim().ToLowerInvariant() switch
    {
        "on" => true,
        "off" => false,
        _ => throw Bad(key, $"must be on or off, got '{text}'"),
    };

    public static AveragingWindow ParseWindow(string text, ParameterKey key) =>
        ParameterWords.TryParseWindow(text, out var window) ? window : throw Bad(key, $"must be LO:HI with integers, got '{text}'");

    public static Engine.Schedulers.NoiseCorrectionMode ParseNoiseCorrection(string text) =>
        ParameterWords.TryParseNoiseCorrection(text, out var mode)
            ? mode
            : throw Bad(ParameterKey.NoiseCorrection, $"must be {string.Join(", ", ParameterWords.NoiseCorrectionWords.SkipLast(1))} or {ParameterWords.NoiseCorrectionWords[^1]}, got '{text}'");

    public static RenoiseAcceleration ParseAcceleration(string text) =>
        ParameterWords.TryParseAcceleration(text, out var mode)
            ? mode
            : throw Bad(ParameterKey.RenoiseAcceleration, $"must be none or anderson, got '{text}'");

    private static ReNoiseInputException Bad(ParameterKey key, string message) => new(new ParameterProblem(key, message));
}

/// <summary>The inversion options shared by `invert` and `bench`, applied over a preset's parameters.</summary>
internal sealed class InversionOptions
{
    public Option<int?> Steps { get; } = CliApp.Optional<int?>("--steps", "inversion (and inference) steps N (default: the preset's, 4 for turbo/LCM, 50 for SD/SDXL)");
    public Option<int?> RenoiseSteps { get; } = CliApp.Optional<int?>("--renoise-steps", "renoise iterations R per step (default: the preset's, 9 turbo, 7 LCM, 1 SD/SDXL)");
    public Option<int?> Cap { get; } = CliApp.Optional<int?>("--first-step-renoise-cap", "R cap for timesteps below 250 (default 5)");
    public Option<double?> Strength { get; } = CliApp.Optional<double?>("--strength", "fraction of the schedule inverted, (0, 1] (default 1)");
    public Option<string> Average { get; } = CliApp.Optional<string>("--average", "on | off: average noise predictions (default on)");
    public Option<string> AverageFirst { get; } = CliApp.Optional<string>("--average-first", "averaging window LO:HI for t < 250 (default 0:5)");
    public Option<string> AverageRest { get; } = CliApp.Optional<string>("--average-rest", "averaging window LO:HI for t >= 250 (default 8:10)");
    public Option<double?> Guidance { get; } = CliApp.Optional<double?>("--guidance", "classifier-free guidance during inversion (default 0: off)");
    public Option<double?> LambdaAc { get; } = CliApp.Optional<double?>("--lambda-ac", "pairwise (auto-correlation) regularization weight (default 20)");
    public Option<double?> LambdaKl { get; } = CliApp.Optional<double?>("--lambda-kl", "patch-KL regularization weight (default 0.065)");
    public Option<int?> RegSteps { get; } = CliApp.Optional<int?>("--reg-steps", "regularization gradient steps (default 4)");
    public Option<int?> AcRolls { get; } = CliApp.Optional<int?>("--ac-rolls", "random shifts of the AC loss per step (default 5)");
    public Option<string> Correction { get; } = CliApp.Optional<string>("--noise-correction", "on | off | exact (default on; off in the SD/SDXL presets)");
    public Option<int?> Seed { get; } = CliApp.Optional<int?>("--seed", "seed of all random draws (default 7865)");
    public Option<double?> Tolerance { get; } = CliApp.Optional<double?>("--renoise-tolerance", "adaptive renoise: stop a step's iterations once the relative change is below X (default 0: off)");
    public Option<string> Accel { get; } = CliApp.Optional<string>("--renoise-accel", "none | anderson: acceleration of the renoise iteration (default none)");
    public Option<int?> AndersonDepth { get; } = CliApp.Optional<int?>("--anderson-depth", $"history depth of --renoise-accel anderson, 1..{InversionParameters.MaxAndersonDepth} (default {InversionParameters.DefaultAndersonDepth})");
    public Option<string> Scheduler { get; } = CliApp.Optional<string>("--scheduler", "ddim | euler-ancestral | lcm (default: the preset's)");
    public Option<int?> Width { get; } = CliApp.Optional<int?>("--width", "working width, a multiple of 8 (default: the preset's, at most the model's native size)");
    public Option<int?> Height { get; } = CliApp.Optional<int?>("--height", "working height, a multiple of 8 (default: the preset's, at most the model's native size)");
    public Option<double?> LcmGuidance { get; } = CliApp.Optional<double?>("--lcm-guidance", "guidance scale w embedded for LCM-distilled UNets (timestep_cond) (default 8.5)");

    public void AddTo(Command command, bool all = true)
    {
        Option[] options = all
            ? [Scheduler, Steps, RenoiseSteps, Cap, Strength, Average, AverageFirst, AverageRest, Guidance, LambdaAc, LambdaKl, RegSteps, AcRolls,
                Correction, Seed, Width, Height, LcmGuidance, Tolerance, Accel, AndersonDepth]
            : [Scheduler, Steps, RenoiseSteps, LambdaAc, LambdaKl, Seed, Width, Height];
        foreach (var o in options) command.Options.Add(o);
    }

    /// <summary><paramref name="defaults"/> with every option given on the command line applied over it.</summary>
    public InversionParameters Apply(ParseResult p, InversionParameters defaults) => defaults with
    {
        InversionSteps = p.GetValue(Steps) ?? defaults.InversionSteps,
        RenoiseSteps = p.GetValue(RenoiseSteps) ?? defaults.RenoiseSteps,
        FirstStepRenoiseCap = p.GetValue(Cap) ?? defaults.FirstStepRenoiseCap,
        Strength = p.GetValue(Strength) ?? defaults.Strength,
        Averaging = p.GetValue(Average) is { } a ? CliParameters.ParseOnOff(a, ParameterKey.Averaging) : defaults.Averaging,
        AverageFirstStep = p.GetValue(AverageFirst) is { } f ? CliParameters.ParseWindow(f, ParameterKey.AverageFirstStep) : defaults.AverageFirstStep,
        AverageOtherSteps = p.GetValue(AverageRest) is { } r ? CliParameters.ParseWindow(r, ParameterKey.AverageOtherSteps) : defaults.AverageOtherSteps,
        InversionGuidance = p.GetValue(Guidance) ?? defaults.InversionGuidance,
        LambdaAc = p.GetValue(LambdaAc) ?? defaults.LambdaAc,
        LambdaKl = p.GetValue(LambdaKl) ?? defaults.LambdaKl,
        RegularizationSteps = p.GetValue(RegSteps) ?? defaults.RegularizationSteps,
        AcRolls = p.GetValue(AcRolls) ?? defaults.AcRolls,
        NoiseCorrection = p.GetValue(Correction) is { } c ? CliParameters.ParseNoiseCorrection(c) : defaults.NoiseCorrection,
        Seed = p.GetValue(Seed) ?? defaults.Seed,
        RenoiseTolerance = p.GetValue(Tolerance) ?? defaults.RenoiseTolerance,
        RenoiseAcceleration = p.GetValue(Accel) is { } ra ? CliParameters.ParseAcceleration(ra) : defaults.RenoiseAcceleration,
        AndersonDepth = p.GetValue(AndersonDepth) ?? defaults.AndersonDepth,
        Scheduler = p.GetValue(Scheduler) ?? defaults.Scheduler,
        Width = p.GetValue(Width) ?? defaults.Width,
        Height = p.GetValue(Height) ?? defaults.Height,
        LcmGuidanceScale = p.GetValue(LcmGuidance) ?? defaults.LcmGuidanceScale,
    };
}
