using System.Globalization;
using Microsoft.Extensions.Options;
using ReNoise.Engine.Inversion;

namespace ReNoise.Jobs;

/// <summary>
/// What one job may cost: model (UNet) calls, counted from the engine's plan before anything is
/// queued (<see cref="JobOptions.MaxModelCalls"/>), and wall time while it runs
/// (<see cref="JobOptions.MaxJobSeconds"/>). Refusals name the parameters that drive the cost,
/// their values and the limit.
/// </summary>
public sealed class JobBudget(IOptions<StudioOptions> options)
{
    public int MaxModelCalls { get; } = Math.Max(1, options.Value.Jobs.MaxModelCalls);

    public TimeSpan MaxDuration { get; } = TimeSpan.FromSeconds(Math.Max(1, options.Value.Jobs.MaxJobSeconds));

    /// <summary>An inversion's calls: the inversion's planned calls (the most, when adaptive) and its reconstruction's.</summary>
    public static int InversionCalls(InversionPlan plan) => plan.ModelCalls + plan.ReconstructionCalls;

    /// <summary>Null when the planned inversion fits the budget, else why not.</summary>
    public string? CheckInversion(InversionPlan plan)
    {
        int calls = InversionCalls(plan);
        if (calls <= MaxModelCalls) return null;
        var p = plan.Parameters;
        string steps = plan.StepCount == p.InversionSteps ? "" : $", {plan.StepCount} of them inverted at this strength";
        return string.Create(CultureInfo.InvariantCulture,
            $"This inversion would make {calls:N0} model calls; the limit is {MaxModelCalls:N0} per job. " +
            $"Its cost comes from {ParameterLabels.Label(ParameterKey.InversionSteps)} = {p.InversionSteps}{steps} and " +
            $"{ParameterLabels.Label(ParameterKey.RenoiseSteps)} = {p.RenoiseSteps} (up to R + 1 calls a step, plus one a step for the reconstruction): lower them.");
    }

    /// <summary>Null when an edit denoising <paramref name="steps"/> steps fits the budget, else why not.</summary>
    public string? CheckEdit(int steps) => steps <= MaxModelCalls ? null : string.Create(CultureInfo.InvariantCulture,
        $"This edit would make {steps:N0} model calls (one for each of the inversion's {steps} inverted steps, its {ParameterLabels.Label(ParameterKey.InversionSteps)}); the limit is {MaxModelCalls:N0} per job.");

    /// <summary>The failure of a job stopped by the time limit.</summary>
    public string TimeLimitMessage => string.Create(CultureInfo.InvariantCulture,
        $"The job took longer than {MaxDuration.TotalSeconds:0} s, the limit per job, and was stopped; nothing was saved. Fewer steps or renoise steps make it shorter.");
}

/// <summary>
/// The measured time per model call of each model (an average over its recent jobs), for the wait
/// estimates of queued jobs. Thread-safe.
/// </summary>
public sealed class ModelPace
{
    private readonly object _gate = new();
    private readonly Dictionary<string, double> _secondsPerCall = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Records a finished job: <paramref name="calls"/> model calls in <paramref name="elapsed"/>.</summary>
    public void Record(string model, TimeSpan elapsed, int calls)
    {
        if (calls <= 0 || elapsed <= TimeSpan.Zero) return;
        double perCall = elapsed.TotalSeconds / calls;
        lock (_gate)
        {
            // An exponential average: recent jobs count most, one slow job does not swing it.
            _secondsPerCall[model] = _secondsPerCall.TryGetValue(model, out double old) ? 0.7 * old + 0.3 * perCall : perCall;
        }
    }

    /// <summary>Seconds per model call measured for <paramref name="model"/>; null before its first job.</summary>
    public double? SecondsPerCall(string model)
    {
        lock (_gate) return _secondsPerCall.TryGetValue(model, out double s) ? s : null;
    }
}
