namespace ReNoise.Engine.Schedulers;

/// <summary>
/// LCMScheduler (spec §4): each step predicts the denoised latent
/// den = c_out * x0 + c_skip * x and re-noises it to the next timestep with the step's noise map
/// (DDPM form); the last step returns den. Model input unscaled.
/// </summary>
internal sealed class LcmScheduler : DiffusionScheduler
{
    /// <summary>sigma_data of the consistency-model boundary condition.</summary>
    public const double SigmaData = 0.5;

    public LcmScheduler(SchedulerConfig config, int steps)
        : base(config, NoiseSchedule.LcmTimesteps(steps, config.NumTrainTimesteps, config.OriginalInferenceSteps))
    {
        var a = AlphasCumprod;
        for (int i = 0; i < steps; i++)
        {
            int t = Timesteps[i];
            bool last = i == steps - 1;
            double aT = a[t], aP = a[last ? t : Timesteps[i + 1]];
            double sqrtAT = Math.Sqrt(aT), sqrtBT = Math.Sqrt(1 - aT);
            double sqrtAP = Math.Sqrt(aP), sqrtBP = Math.Sqrt(1 - aP);
            var (cSkip, cOut) = BoundaryScalings(t, config.TimestepScaling);

            // den = c_out (x - sqrt(b_t) eps) / sqrt(a_t) + c_skip x;
            // x_next = sqrt(a_p) den + sqrt(b_p) n, or den at the last step.
            double outer = last ? 1 : sqrtAP;
            double noise = last ? 0 : sqrtBP;
            double stepX = outer * (cOut / sqrtAT + cSkip);
            double stepEps = -outer * cOut * sqrtBT / sqrtAT;

            // Inverse as the reference computes it: with c_o = c_out * outer,
            // x = (x_next + sqrt(b_t) c_o / sqrt(a_t) eps - noise) / (c_o / sqrt(a_t) + c_skip).
            // The reference divides by the *unscaled* c_skip in both branches, so away from the last
            // step this is not the exact inverse of the forward step (off by a term of order c_skip,
            // below 1e-6 for LCM's timesteps); matched on purpose.
            double cO = cOut * outer;
            double divisor = cO / sqrtAT + cSkip;
            SetCoefficients(i, new StepCoefficients(
                stepX, stepEps, noise,
                InverseX: 1 / divisor, InverseEps: sqrtBT * cO / sqrtAT / divisor, InverseNoise: -noise / divisor,
                ModelInputScale: 1, AddNoiseSample: sqrtAT, AddNoiseNoise: sqrtBT));
        }
    }

    public override string Name => SchedulerNames.Lcm;
    public override bool IsStochastic => true;

    /// <summary>
    /// c_skip = sd^2 / ((t ts)^2 + sd^2), c_out = t ts / sqrt((t ts)^2 + sd^2), sd = 0.5, ts = timestep_scaling.
    /// </summary>
    public static (double CSkip, double COut) BoundaryScalings(int timestep, double timestepScaling)
    {
        double scaled = timestep * timestepScaling;
        double denominator = scaled * scaled + SigmaData * SigmaData;
        return (SigmaData * SigmaData / denominator, scaled / Math.Sqrt(denominator));
    }
}
