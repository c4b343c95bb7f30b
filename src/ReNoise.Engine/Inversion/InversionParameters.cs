using System.Globalization;
using ReNoise.Engine.Schedulers;

namespace ReNoise.Engine.Inversion;

/// <summary>How the per-step fixed-point iteration z = InverseStep(z_t, eps(z)) is advanced.</summary>
public enum RenoiseAcceleration
{
    /// <summary>Plain fixed-point iteration (spec §5): the next guess is G(guess).</summary>
    None,

    /// <summary>
    /// Anderson acceleration (type II, depth <see cref="InversionParameters.AndersonDepth"/>): the next
    /// guess mixes the last G values so as to minimise the linearised fixed-point residual.
    /// </summary>
    Anderson,
}

/// <summary>
/// The parameters of <see cref="InversionParameters"/> (and the edit guidance of a denoising run), as
/// problems name them. Front ends map each key to their own word for it (a CLI flag, a form label).
/// </summary>
public enum ParameterKey
{
    InversionSteps,
    RenoiseSteps,
    FirstStepRenoiseCap,
    Strength,
    Averaging,
    AverageFirstStep,
    AverageOtherSteps,
    InversionGuidance,
    LambdaAc,
    LambdaKl,
    RegularizationSteps,
    AcRolls,
    NoiseCorrection,
    Seed,
    RenoiseTolerance,
    RenoiseAcceleration,
    AndersonDepth,
    Scheduler,
    Width,
    Height,
    LcmGuidanceScale,
    EditGuidance,
}

/// <summary>
/// One thing wrong with a parameter: which one, what is wrong (a predicate with the value, e.g.
/// "must be at least 1, got 0", to be read after the parameter's name) and, for numbers, the
/// accepted range.
/// </summary>
public sealed record ParameterProblem(ParameterKey Key, string Message, double? Min = null, double? Max = null)
{
    /// <summary>The problem read with <paramref name="name"/> as the parameter's name.</summary>
    public string Describe(string name) => $"{name} {Message}";

    public override string ToString() => Describe(Key.ToString());
}

/// <summary>
/// Every setting of one inversion (spec §2), with the paper's SDXL-Turbo defaults, and the bounds
/// every front end enforces through <see cref="Validate"/>. <see cref="Scheduler"/>,
/// <see cref="Width"/>, <see cref="Height"/> and <see cref="LcmGuidanceScale"/> left null take the
/// model's own value when the run is planned.
/// </summary>
public sealed record InversionParameters
{
    /// <summary>Timesteps below this use the first-step averaging window and the renoise cap.</summary>
    public const int FirstStepMaxTimestep = 250;

    public const int MaxInversionSteps = 1000;
    public const int MaxRenoiseSteps = 100;
    public const int MaxRegularizationSteps = 100;
    public const int MaxAcRolls = 100;
    public const double MaxGuidance = 30;
    public const double MaxLambdaAc = 1000;
    public const double MaxLambdaKl = 100;
    public const double MaxRenoiseTolerance = 1;
    public const int DefaultAndersonDepth = 2;
    public const int MaxAndersonDepth = 8;

    /// <summary>Largest working side in pixels (SDXL's native 1024, twice over).</summary>
    public const int MaxWorkingSide = 2048;

    /// <summary>Working sides are multiples of this (the VAE downsamples by 8).</summary>
    public const int SideMultiple = 8;

    /// <summary>The LCM guidance scale fed when none is given (diffusers' default).</summary>
    public const double DefaultLcmGuidanceScale = 8.5;

    public static InversionParameters Default { get; } = new();

    /// <summary>N: timesteps of the schedule; the edit run uses the same ones.</summary>
    public int InversionSteps { get; init; } = 4;

    /// <summary>R: extra iterations per step, one model call each.</summary>
    public int RenoiseSteps { get; init; } = 9;

    /// <summary>For t &lt; 250, R is min(R, cap).</summary>
    public int FirstStepRenoiseCap { get; init; } = 5;

    /// <summary>Fraction of the schedule inverted, in (0, 1] (spec §6).</summary>
    public double Strength { get; init; } = 1.0;

    public bool Averaging { get; init; } = true;
    public AveragingWindow AverageFirstStep { get; init; } = new(0, 5);
    public AveragingWindow AverageOtherSteps { get; init; } = new(8, 10);

    /// <summary>Classifier-free guidance during inversion; off when &lt;= 1.</summary>
    public double InversionGuidance { get; init; }

    public double LambdaAc { get; init; } = 20.0;
    public double LambdaKl { get; init; } = 0.065;
    public int RegularizationSteps { get; init; } = 4;
    public int AcRolls { get; init; } = 5;

    public NoiseCorrectionMode NoiseCorrection { get; init; } = NoiseCorrectionMode.Reference;

    public int Seed { get; init; } = 7865;

    /// <summary>
    /// Adaptive renoise: a step stops iterating after the first iteration k &gt;= 1 whose fixed-point
    /// residual ||G(z^(k-1)) - z^(k-1)|| / ||G(z^(k-1))|| (for the plain iteration, the relative
    /// change of the iterate) is below this; an averaging window not complete by then is shifted
    /// to end at k (it averages the last predictions made).
    /// 0 (the default) runs every R_t iteration, exactly as spec §5.
    /// </summary>
    public double RenoiseTolerance { get; init; }

    public RenoiseAcceleration RenoiseAcceleration { get; init; } = RenoiseAcceleration.None;

    /// <summary>Anderson history depth m (differences kept), used when <see cref="RenoiseAcceleration"/> is Anderson.</summary>
    public int AndersonDepth { get; init; } = DefaultAndersonDepth;

    /// <summary>"ddim", "euler-ancestral" or "lcm" (<see cref="SchedulerNames"/>); null for the model's own.</summary>
    public string? Scheduler { get; init; }

    /// <summary>Working width in pixels; null for the model's native size.</summary>
    public int? Width { get; init; }

    /// <summary>Working height in pixels; null for the model's native size.</summary>
    public int? Height { get; init; }

    /// <summary>
    /// LCM guidance scale w for UNets that take <c>timestep_cond</c> (the embedding of w - 1 is fed);
    /// null means <see cref="DefaultLcmGuidanceScale"/>. Other UNets ignore it (the plan warns).
    /// </summary>
    public double? LcmGuidanceScale { get; init; }

    /// <summary>The accepted range of a numeric parameter (inclusive, except Strength's lower end, which is open).</summary>
    public static (double Min, double Max) RangeOf(ParameterKey key) => key switch
    {
        ParameterKey.InversionSteps => (1, MaxInversionSteps),
        ParameterKey.RenoiseSteps or ParameterKey.FirstStepRenoiseCap => (0, MaxRenoiseSteps),
        ParameterKey.Strength => (0, 1),
        ParameterKey.AverageFirstStep or ParameterKey.AverageOtherSteps => (0, MaxRenoiseSteps + 1),
        ParameterKey.InversionGuidance or ParameterKey.EditGuidance or ParameterKey.LcmGuidanceScale => (0, MaxGuidance),
        ParameterKey.LambdaAc => (0, MaxLambdaAc),
        ParameterKey.LambdaKl => (0, MaxLambdaKl),
        ParameterKey.RegularizationSteps => (0, MaxRegularizationSteps),
        ParameterKey.AcRolls => (0, MaxAcRolls),
        ParameterKey.Seed => (int.MinValue, int.MaxValue),
        ParameterKey.RenoiseTolerance => (0, MaxRenoiseTolerance),
        ParameterKey.AndersonDepth => (1, MaxAndersonDepth),
        ParameterKey.Width or ParameterKey.Height => (SideMultiple, MaxWorkingSide),
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, "not a numeric parameter"),
    };

    /// <summary>Every problem with these values (empty when they may run); the model-dependent checks come with the plan.</summary>
    public IReadOnlyList<ParameterProblem> Validate() => Validate(withLimits: true);

    /// <summary>
    /// With <paramref name="withLimits"/> false only the domain is checked (what makes the method's
    /// math meaningful), not the upper bounds that keep a job's cost sane: the loop itself runs any
    /// count of iterations (tests and measurements use more than a user may ask for).
    /// </summary>
    internal IReadOnlyList<ParameterProblem> Validate(bool withLimits)
    {
        var problems = new Checker(withLimits);
        problems.Whole(ParameterKey.InversionSteps, InversionSteps);
        problems.Whole(ParameterKey.RenoiseSteps, RenoiseSteps);
        problems.Whole(ParameterKey.FirstStepRenoiseCap, FirstStepRenoiseCap);
        if (!(Strength > 0 && Strength <= 1))
            problems.Add(new(ParameterKey.Strength, $"must be in (0, 1], got {Format(Strength)}", 0, 1));
        problems.Window(ParameterKey.AverageFirstStep, AverageFirstStep);
        problems.Window(ParameterKey.AverageOtherSteps, AverageOtherSteps);
        problems.Real(ParameterKey.InversionGuidance, InversionGuidance);
        problems.Real(ParameterKey.LambdaAc, LambdaAc);
        problems.Real(ParameterKey.LambdaKl, LambdaKl);
        problems.Whole(ParameterKey.RegularizationSteps, RegularizationSteps);
        // Rolls only matter when the AC term runs; 0 is then a mistake, not "off".
        if (AcRolls < 1 && LambdaAc > 0 && RegularizationSteps > 0)
            problems.Add(new(ParameterKey.AcRolls, $"must be at least 1 while the AC term is on, got {AcRolls}", 1, MaxAcRolls));
        else problems.Whole(ParameterKey.AcRolls, AcRolls);
        if (!Enum.IsDefined(NoiseCorrection))
            problems.Add(new(ParameterKey.NoiseCorrection, $"is not a noise-correction mode, got {NoiseCorrection}"));
        problems.Real(ParameterKey.RenoiseTolerance, RenoiseTolerance);
        if (!Enum.IsDefined(RenoiseAcceleration))
            problems.Add(new(ParameterKey.RenoiseAcceleration, $"is not an acceleration, got {RenoiseAcceleration}"));
        problems.Whole(ParameterKey.AndersonDepth, AndersonDepth);
        if (Scheduler is not null && !SchedulerNames.TryNormalize(Scheduler, out _))
            problems.Add(new(ParameterKey.Scheduler, $"must be one of {string.Join(", ", SchedulerNames.All)}, got '{Scheduler}'"));
        problems.Side(ParameterKey.Width, Width);
        problems.Side(ParameterKey.Height, Height);
        if (LcmGuidanceScale is { } w) problems.Real(ParameterKey.LcmGuidanceScale, w);
        return problems;
    }

    /// <summary>Throws <see cref="ReNoiseInputException"/> carrying every problem when there is any.</summary>
    public void EnsureValid() => EnsureValid(withLimits: true);

    internal void EnsureValid(bool withLimits)
    {
        var problems = Validate(withLimits);
        if (problems.Count > 0) throw new ReNoiseInputException(problems);
    }

    /// <summary>The averaging window of timestep t.</summary>
    internal AveragingWindow WindowFor(int timestep) => timestep < FirstStepMaxTimestep ? AverageFirstStep : AverageOtherSteps;

    /// <summary>R_t: the renoise iterations of timestep t.</summary>
    internal int RenoiseStepsFor(int timestep) => timestep < FirstStepMaxTimestep ? Math.Min(RenoiseSteps, FirstStepRenoiseCap) : RenoiseSteps;

    /// <summary>
    /// How many predictions the averaging window of timestep t averages when all R_t iterations
    /// run: the window clipped to iterations 0..R_t (0 when it covers none, or averaging is off).
    /// </summary>
    internal int AveragedCountFor(int timestep)
    {
        if (!Averaging) return 0;
        var window = WindowFor(timestep);
        int end = Math.Min(window.End, RenoiseStepsFor(timestep) + 1);
        return Math.Max(0, end - window.Start);
    }

    /// <summary>Checks an edit run's guidance scale; null when it may run.</summary>
    internal static ParameterProblem? CheckEditGuidance(double guidance)
    {
        var problems = new Checker(withLimits: true);
        problems.Real(ParameterKey.EditGuidance, guidance);
        return problems.Count == 0 ? null : problems[0];
    }

    internal static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Collects problems against <see cref="RangeOf"/>; without limits only the lower ends (the domain) count.</summary>
    private sealed class Checker(bool withLimits) : List<ParameterProblem>
    {
        public void Whole(ParameterKey key, int value)
        {
            var (min, max) = Range(key);
            if (value < min) Add(new(key, $"must be at least {min}, got {value}", min, max));
            else if (value > max) Add(new(key, $"must be at most {max}, got {value}", min, max));
        }

        public void Real(ParameterKey key, double value)
        {
            var (min, max) = Range(key);
            if (!double.IsFinite(value) || value < min || value > max)
                Add(new(key, double.IsFinite(max)
                    ? $"must be a number from {Format(min)} to {Format(max)}, got {Format(value)}"
                    : $"must be a finite number of at least {Format(min)}, got {Format(value)}", min, max));
        }

        public void Window(ParameterKey key, AveragingWindow window)
        {
            var (min, max) = Range(key);
            if (window.Start < min) Add(new(key, $"must start at {min} or later, got {window}", min, max));
            else if (window.Start >= window.End) Add(new(key, $"must start before it ends, got {window}", min, max));
            else if (window.End > max) Add(new(key, $"must end at {max} or earlier, got {window}", min, max));
        }

        public void Side(ParameterKey key, int? side)
        {
            if (side is not { } value) return;
            var (min, max) = Range(key);
            if (value < min || value > max || value % SideMultiple != 0)
                Add(new(key, $"must be a multiple of {SideMultiple} from {min} to {max} pixels, got {value}", min, max));
        }

        private (double Min, double Max) Range(ParameterKey key)
        {
            var (min, max) = RangeOf(key);
            return (min, withLimits ? max : double.PositiveInfinity);
        }
    }
}
