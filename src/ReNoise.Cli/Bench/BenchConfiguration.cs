using System.Globalization;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Schedulers;

namespace ReNoise.Cli.Bench;

/// <summary>
/// One benchmarked way of inverting: a name (for --configs), the row name the paper's tables use,
/// the plot series it belongs to, and how it derives its options from the bench's base options.
/// </summary>
public sealed class BenchConfiguration
{
    private readonly Func<InversionParameters, InversionParameters> _apply;

    public BenchConfiguration(string name, string label, IReadOnlyList<string> series, Func<InversionParameters, InversionParameters> apply)
    {
        Name = name;
        Label = label;
        Series = series;
        _apply = apply;
    }

    /// <summary>What --configs calls it, e.g. "renoise-4".</summary>
    public string Name { get; }

    /// <summary>The row name in the results table, e.g. "+ 4 ReNoise steps".</summary>
    public string Label { get; }

    /// <summary>The plot series (methods) this configuration is a point of.</summary>
    public IReadOnlyList<string> Series { get; }

    /// <summary>The parameters of this configuration given the bench's base parameters (steps, seed, weights).</summary>
    public InversionParameters ParametersFrom(InversionParameters baseParameters) => _apply(baseParameters);

    public override string ToString() => Name;
}

/// <summary>
/// The bench's configurations. The default list is the paper's Table 2 ablation for stochastic
/// samplers (for DDIM the same rows without noise correction, which DDIM does not have); more
/// groups put ReNoise beside plain inversion at more steps, adaptive renoise and Anderson acceleration.
/// </summary>
public static class BenchConfigurations
{
    public const string AblationSeries = "ReNoise ablation (Table 2)";
    public const string PlainSeries = "plain inversion, N steps";
    public const string AdaptiveSeries = "adaptive renoise (tolerance)";
    public const string AndersonSeries = "Anderson, renoise only";
    public const string AndersonAdaptiveSeries = "Anderson + adaptive, full method";

    /// <summary>Multiples of the base step count at which plain inversion is run as the baseline.</summary>
    public static readonly int[] PlainStepMultiples = [2, 4, 10];

    /// <summary>Tolerances of the adaptive rows (relative change of the iterate).</summary>
    public static readonly double[] AdaptiveTolerances = [0.2, 0.1, 0.05, 0.02];

    /// <summary>Tolerances of the Anderson + adaptive rows.</summary>
    public static readonly double[] AndersonTolerances = [0.05, 0.02, 0.01];

    /// <summary>Group names --configs accepts besides single names.</summary>
    public static readonly string[] Groups = ["ablation", "baselines", "adaptive", "anderson", "all"];

    /// <summary>Plain inversion: R = 0, no averaging, regularization or correction (spec §1's DDIM-inversion guess).</summary>
    public static InversionParameters Plain(InversionParameters b) => b with
    {
        RenoiseSteps = 0,
        Averaging = false,
        RegularizationSteps = 0,
        NoiseCorrection = NoiseCorrectionMode.Off,
        RenoiseTolerance = 0,
        RenoiseAcceleration = RenoiseAcceleration.None,
    };

    /// <summary>Every configuration for a stochastic or deterministic scheduler, in table order.</summary>
    public static IReadOnlyList<BenchConfiguration> All(bool stochastic)
    {
        string plain = stochastic ? "Plain inversion" : "DDIM inversion";
        var list = new List<BenchConfiguration>
        {
            new("plain", $"{plain} (R = 0)", [AblationSeries, PlainSeries], Plain),
            new("renoise-1", "+ 1 ReNoise step", [AblationSeries], b => Plain(b) with { RenoiseSteps = 1 }),
            new("renoise-4", "+ 4 ReNoise steps", [AblationSeries], b => Plain(b) with { RenoiseSteps = 4 }),
            new("renoise-9", "+ 9 ReNoise steps", [AblationSeries], b => Plain(b) with { RenoiseSteps = 9 }),
            new("averaging", "+ Averaging", [AblationSeries], b => Plain(b) with { RenoiseSteps = b.RenoiseSteps, Averaging = true }),
            new("edit-losses", "+ Edit losses (regularization)", stochastic ? [AblationSeries] : [AblationSeries, AdaptiveSeries],
                b => Full(b) with { NoiseCorrection = NoiseCorrectionMode.Off }),
        };
        if (stochastic)
            list.Add(new("noise-correction", "+ Noise correction (defaults)", [AblationSeries, AdaptiveSeries], WithCorrection));

        foreach (int k in PlainStepMultiples)
            list.Add(new($"plain-x{k}", $"{plain}, {k}x steps", [PlainSeries], b => Plain(b) with { InversionSteps = b.InversionSteps * k }));

        foreach (double tol in AdaptiveTolerances)
            list.Add(new($"adaptive-{Format(tol)}", $"Adaptive renoise, tolerance {Format(tol)}", [AdaptiveSeries],
                b => (stochastic ? WithCorrection(b) : Full(b)) with { RenoiseTolerance = tol }));

        foreach (int r in new[] { 1, 4, 9 })
            list.Add(new($"anderson-{r}", $"+ {r} ReNoise step{(r == 1 ? "" : "s")}, Anderson", [AndersonSeries],
                b => Plain(b) with { RenoiseSteps = r, RenoiseAcceleration = RenoiseAcceleration.Anderson }));
        list.Add(new("anderson", "Defaults + Anderson", [AndersonAdaptiveSeries],
            b => (stochastic ? WithCorrection(b) : Full(b)) with { RenoiseAcceleration = RenoiseAcceleration.Anderson }));
        foreach (double tol in AndersonTolerances)
            list.Add(new($"anderson-adaptive-{Format(tol)}", $"Defaults + Anderson, tolerance {Format(tol)}", [AndersonAdaptiveSeries],
                b => (stochastic ? WithCorrection(b) : Full(b)) with { RenoiseAcceleration = RenoiseAcceleration.Anderson, RenoiseTolerance = tol }));
        return list;
    }

    /// <summary>The default list: the paper's Table 2 ablation.</summary>
    public static IReadOnlyList<BenchConfiguration> Ablation(bool stochastic) =>
        All(stochastic).Where(c => c.Series.Contains(AblationSeries)).ToList();

    /// <summary>
    /// Resolves a --configs list (comma separated names or group names; null or empty: the
    /// ablation) into configurations in table order, without duplicates.
    /// </summary>
    public static IReadOnlyList<BenchConfiguration> Select(string? list, bool stochastic)
    {
        var all = All(stochastic);
        if (string.IsNullOrWhiteSpace(list)) return Ablation(stochastic);
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string raw in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string name = raw.ToLowerInvariant();
            IEnumerable<BenchConfiguration> members = name switch
            {
                "all" => all,
                "ablation" => Ablation(stochastic),
                "baselines" => all.Where(c => c.Series.Contains(PlainSeries)),
                "adaptive" => all.Where(c => c.Name.StartsWith("adaptive-", StringComparison.Ordinal)),
                "anderson" => all.Where(c => c.Name.StartsWith("anderson", StringComparison.Ordinal)),
                _ => all.Where(c => c.Name == name),
            };
            bool any = false;
            foreach (var c in members)
            {
                chosen.Add(c.Name);
                any = true;
            }
            if (!any)
            {
                string hint = name == "noise-correction" ? " (a deterministic scheduler has no noise correction)" : "";
                throw new ReNoiseInputException(
                    $"--configs: unknown configuration '{raw}'{hint}; known: {string.Join(", ", Groups.Concat(all.Select(c => c.Name)))}");
            }
        }
        return all.Where(c => chosen.Contains(c.Name)).ToList();
    }

    /// <summary>The full method at the base options, fixed-iteration and unaccelerated unless a row says otherwise.</summary>
    private static InversionParameters Full(InversionParameters b) => b with
    {
        RenoiseTolerance = 0,
        RenoiseAcceleration = RenoiseAcceleration.None,
    };

    /// <summary>The full method with noise correction on (the reference's procedure unless the base asks for the exact one).</summary>
    private static InversionParameters WithCorrection(InversionParameters b) =>
        Full(b) with { NoiseCorrection = b.NoiseCorrection == NoiseCorrectionMode.Off ? NoiseCorrectionMode.Reference : b.NoiseCorrection };

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
