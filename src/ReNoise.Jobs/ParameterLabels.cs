using System.Globalization;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Formats;

namespace ReNoise.Jobs;

/// <summary>
/// The studio's words for the engine's parameters: the one table from <see cref="ParameterKey"/> to
/// the label a field carries, used by the form, the parameters table and every message the engine's
/// problems become.
/// </summary>
public static class ParameterLabels
{
    public static readonly IReadOnlyDictionary<ParameterKey, string> Labels = new Dictionary<ParameterKey, string>
    {
        [ParameterKey.InversionSteps] = "Inversion steps N",
        [ParameterKey.RenoiseSteps] = "Renoise steps R",
        [ParameterKey.FirstStepRenoiseCap] = "First-step renoise cap",
        [ParameterKey.Strength] = "Strength",
        [ParameterKey.Averaging] = "Averaging",
        [ParameterKey.AverageFirstStep] = "Averaging window for t < 250",
        [ParameterKey.AverageOtherSteps] = "Averaging window for t ≥ 250",
        [ParameterKey.InversionGuidance] = "Inversion guidance",
        [ParameterKey.LambdaAc] = "λ AC",
        [ParameterKey.LambdaKl] = "λ KL",
        [ParameterKey.RegularizationSteps] = "Regularization steps",
        [ParameterKey.AcRolls] = "AC rolls",
        [ParameterKey.NoiseCorrection] = "Noise correction",
        [ParameterKey.Seed] = "Seed",
        [ParameterKey.RenoiseTolerance] = "Adaptive tolerance",
        [ParameterKey.RenoiseAcceleration] = "Acceleration",
        [ParameterKey.AndersonDepth] = "Anderson depth",
        [ParameterKey.Scheduler] = "Scheduler",
        [ParameterKey.Width] = "Working width",
        [ParameterKey.Height] = "Working height",
        [ParameterKey.LcmGuidanceScale] = "LCM guidance",
        [ParameterKey.EditGuidance] = "Edit guidance",
    };

    public static string Label(ParameterKey key) => Labels[key];

    /// <summary>An input error as the page shows it: parameters named by their field labels.</summary>
    public static string Describe(ReNoiseInputException e) => e.Describe(Label);

    /// <summary>Each problem as the page shows it.</summary>
    public static string Describe(ParameterProblem problem) => problem.Describe(Label(problem.Key));

    /// <summary>Every value by its label, in the form's order, for the result and share pages.</summary>
    public static IEnumerable<(string Label, string Value)> Rows(InversionParameters p)
    {
        if (p.Scheduler is { } scheduler) yield return (Label(ParameterKey.Scheduler), scheduler);
        if (p.Width is { } w && p.Height is { } h) yield return ("Working size", $"{w}×{h} px");
        yield return (Label(ParameterKey.InversionSteps), Text(p.InversionSteps));
        yield return (Label(ParameterKey.RenoiseSteps), Text(p.RenoiseSteps));
        yield return (Label(ParameterKey.FirstStepRenoiseCap), Text(p.FirstStepRenoiseCap));
        yield return (Label(ParameterKey.Strength), Text(p.Strength));
        yield return (Label(ParameterKey.Averaging), p.Averaging ? "on" : "off");
        yield return (Label(ParameterKey.AverageFirstStep), p.AverageFirstStep.ToString());
        yield return (Label(ParameterKey.AverageOtherSteps), p.AverageOtherSteps.ToString());
        yield return (Label(ParameterKey.InversionGuidance), Text(p.InversionGuidance));
        yield return (Label(ParameterKey.LambdaAc), Text(p.LambdaAc));
        yield return (Label(ParameterKey.LambdaKl), Text(p.LambdaKl));
        yield return (Label(ParameterKey.RegularizationSteps), Text(p.RegularizationSteps));
        yield return (Label(ParameterKey.AcRolls), Text(p.AcRolls));
        yield return (Label(ParameterKey.NoiseCorrection), ParameterWords.Of(p.NoiseCorrection));
        yield return (Label(ParameterKey.Seed), Text(p.Seed));
        if (p.RenoiseTolerance > 0) yield return (Label(ParameterKey.RenoiseTolerance), Text(p.RenoiseTolerance));
        if (p.RenoiseAcceleration != RenoiseAcceleration.None)
        {
            yield return (Label(ParameterKey.RenoiseAcceleration), ParameterWords.Of(p.RenoiseAcceleration));
            yield return (Label(ParameterKey.AndersonDepth), Text(p.AndersonDepth));
        }
        if (p.LcmGuidanceScale is { } lcm) yield return (Label(ParameterKey.LcmGuidanceScale), Text(lcm));
    }

    /// <summary>One line naming every value, for job lists.</summary>
    public static string Summary(InversionParameters p) => string.Create(CultureInfo.InvariantCulture,
        $"N={p.InversionSteps} R={p.RenoiseSteps} cap={p.FirstStepRenoiseCap} strength={p.Strength} averaging={(p.Averaging ? "on" : "off")} " +
        $"{p.AverageFirstStep}/{p.AverageOtherSteps} guidance={p.InversionGuidance} λac={p.LambdaAc} λkl={p.LambdaKl} " +
        $"reg={p.RegularizationSteps}x{p.AcRolls} correction={ParameterWords.Of(p.NoiseCorrection)} seed={p.Seed} " +
        $"tolerance={p.RenoiseTolerance} accel={ParameterWords.Of(p.RenoiseAcceleration)}");

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
