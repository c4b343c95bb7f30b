namespace ReNoise.Engine.Schedulers;

/// <summary>
/// DDIM with eta = 0 (spec §4): deterministic; model input unscaled; step index i denoises
/// Timesteps[i] -> prev(t) = t - T // n, where the alpha after the end is final_alpha_cumprod.
/// </summary>
internal sealed class DdimScheduler : DiffusionScheduler
{
    public DdimScheduler(SchedulerConfig config, int steps)
        : base(config, NoiseSchedule.Timesteps(
            config.SpacingOr(TimestepSpacing.Leading), steps, config.NumTrainTimesteps, config.StepsOffset))
    {
        var a = AlphasCumprod;
        FinalAlphaCumprod = config.SetAlphaToOne ? 1.0 : a[0];
        int stride = config.NumTrainTimesteps / steps;
        for (int i = 0; i < steps; i++)
        {
            double aT = a[Timesteps[i]];
            int prev = Timesteps[i] - stride;
            double aPrev = prev >= 0 ? a[prev] : FinalAlphaCumprod;
            double sqrtAT = Math.Sqrt(aT), sqrtBT = Math.Sqrt(1 - aT);
            double sqrtAPrev = Math.Sqrt(aPrev), sqrtBPrev = Math.Sqrt(1 - aPrev);
            // Forward: x0 = (x - sqrt(1-a_t) eps) / sqrt(a_t); x_prev = sqrt(a_prev) x0 + sqrt(1-a_prev) eps.
            double stepX = sqrtAPrev / sqrtAT;
            double stepEps = sqrtBPrev - sqrtAPrev * sqrtBT / sqrtAT;
            // Inverse, as the spec writes it: z_t = sqrt(a_t/a_prev) z_prev + (sqrt(1-a_t) - sqrt(a_t) sqrt(1-a_prev)/sqrt(a_prev)) eps.
            double inverseX = Math.Sqrt(aT / aPrev);
            double inverseEps = sqrtBT - sqrtAT * sqrtBPrev / sqrtAPrev;
            SetCoefficients(i, new StepCoefficients(
                stepX, stepEps, 0, inverseX, inverseEps, 0,
                ModelInputScale: 1, AddNoiseSample: sqrtAT, AddNoiseNoise: sqrtBT));
        }
    }

    public override string Name => SchedulerNames.Ddim;
    public override bool IsStochastic => false;

    /// <summary>The alpha "after" timestep 0: 1.0 when set_alpha_to_one, else alphas_cumprod[0].</summary>
    public double FinalAlphaCumprod { get; }

    /// <summary>The timestep step <paramref name="index"/> lands on: t - T // n (negative past the end).</summary>
    public int PreviousTimestep(int index) => Timesteps[index] - Config.NumTrainTimesteps / Timesteps.Count;
}
