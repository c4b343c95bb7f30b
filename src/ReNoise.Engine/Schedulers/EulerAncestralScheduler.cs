namespace ReNoise.Engine.Schedulers;

/// <summary>
/// Euler ancestral (spec §4; SDXL-Turbo's sampler). Latents live in sigma space,
/// sigma(t) = sqrt((1 - a[t]) / a[t]) at the schedule's timesteps with a final 0; the step
/// from sigma[i] to sigma[i+1] goes down to s_down and adds s_up of noise.
/// </summary>
internal sealed class EulerAncestralScheduler : DiffusionScheduler
{
    private readonly double[] _sigmas;

    public EulerAncestralScheduler(SchedulerConfig config, int steps)
        : base(config, NoiseSchedule.Timesteps(
            config.SpacingOr(TimestepSpacing.Linspace), steps, config.NumTrainTimesteps, config.StepsOffset))
    {
        _sigmas = new double[steps + 1];
        for (int i = 0; i < steps; i++)
        {
            double a = AlphasCumprod[Timesteps[i]];
            _sigmas[i] = Math.Sqrt((1 - a) / a);
        }
        Sigmas = Array.AsReadOnly(_sigmas);

        for (int i = 0; i < steps; i++)
        {
            double from = _sigmas[i], to = _sigmas[i + 1];
            double up = Math.Sqrt(to * to * Math.Abs(from * from - to * to) / (from * from));
            double down = to * to / from;
            // Forward: x_to = x_from + eps (s_down - s_from) + n s_up; inverse solves it for x_from.
            SetCoefficients(i, new StepCoefficients(
                StepX: 1, StepEps: down - from, StepNoise: up,
                InverseX: 1, InverseEps: -(down - from), InverseNoise: -up,
                ModelInputScale: 1 / Math.Sqrt(from * from + 1),
                AddNoiseSample: 1, AddNoiseNoise: from));
        }
    }

    public override string Name => SchedulerNames.EulerAncestral;
    public override bool IsStochastic => true;

    /// <summary>sigma at each timestep, then 0 (length steps + 1).</summary>
    public IReadOnlyList<double> Sigmas { get; }

    /// <summary>s_up of step <paramref name="index"/>: the scale of the noise the step adds.</summary>
    public double SigmaUp(int index) => Coefficients(index).StepNoise;

    /// <summary>s_down of step <paramref name="index"/>: s_to^2 / s_from.</summary>
    public double SigmaDown(int index)
    {
        double from = Sigmas[index], to = _sigmas[index + 1];
        return to * to / from;
    }
}
