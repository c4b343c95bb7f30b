namespace ReNoise.Engine.Schedulers;

/// <summary>
/// The training noise tables and the inference timestep lists, as diffusers computes them (spec §3).
/// Tables are float64; timesteps are integers in descending (sampling) order.
/// </summary>
internal static class NoiseSchedule
{
    /// <summary>betas: trained_betas when given, else linear or scaled_linear over num_train_timesteps.</summary>
    public static double[] Betas(SchedulerConfig config)
    {
        if (config.TrainedBetas is { } trained) return [.. trained];
        int count = config.NumTrainTimesteps;
        return config.BetaSchedule switch
        {
            BetaSchedule.Linear => Linspace(config.BetaStart, config.BetaEnd, count),
            BetaSchedule.ScaledLinear => Square(Linspace(Math.Sqrt(config.BetaStart), Math.Sqrt(config.BetaEnd), count)),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.BetaSchedule, "unknown beta schedule"),
        };
    }

    /// <summary>alphas_cumprod[i] = prod_{j &lt;= i} (1 - betas[j]).</summary>
    public static double[] AlphasCumprod(IReadOnlyList<double> betas)
    {
        var result = new double[betas.Count];
        double product = 1.0;
        for (int i = 0; i < result.Length; i++)
        {
            product *= 1.0 - betas[i];
            result[i] = product;
        }
        return result;
    }

    /// <summary>
    /// DDIM / Euler inference timesteps for <paramref name="steps"/> steps, descending.
    /// leading: k * (T // n) + steps_offset; trailing: round(arange(T, 0, -T/n)) - 1;
    /// linspace: round(linspace(0, T - 1, n)). Rounding is numpy's (half to even).
    /// </summary>
    public static int[] Timesteps(TimestepSpacing spacing, int steps, int numTrainTimesteps, int stepsOffset)
    {
        ValidateSteps(steps, numTrainTimesteps);
        var timesteps = new int[steps];
        switch (spacing)
        {
            case TimestepSpacing.Leading:
                int ratio = numTrainTimesteps / steps;
                for (int i = 0; i < steps; i++) timesteps[i] = (steps - 1 - i) * ratio + stepsOffset;
                if (timesteps[0] > numTrainTimesteps - 1)
                    throw new ReNoiseInputException(
                        $"{steps} steps with leading spacing and steps_offset {stepsOffset} reach timestep {timesteps[0]}, " +
                        $"beyond the last training timestep {numTrainTimesteps - 1}");
                break;
            case TimestepSpacing.Trailing:
                // numpy's arange(T, 0, -T/n) can yield n + 1 values through float round-off (n = 61, 103, ...);
                // the values T - i * T/n for i < n are the ones meant.
                double step = (double)numTrainTimesteps / steps;
                for (int i = 0; i < steps; i++)
                    timesteps[i] = (int)Math.Round(numTrainTimesteps - i * step, MidpointRounding.ToEven) - 1;
                break;
            case TimestepSpacing.Linspace:
                // numpy linspace: i * ((stop - start) / (n - 1)), last value exactly stop; one step is [start].
                double last = numTrainTimesteps - 1;
                for (int i = 0; i < steps; i++)
                {
                    double value = i == 0 ? 0 : i == steps - 1 ? last : i * (last / (steps - 1));
                    timesteps[steps - 1 - i] = (int)Math.Round(value, MidpointRounding.ToEven);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(spacing), spacing, "unknown timestep spacing");
        }
        return timesteps;
    }

    /// <summary>
    /// LCMScheduler timesteps: the distillation schedule origin = [1..orig] * (T // orig) - 1 reversed,
    /// sampled at floor(linspace(0, orig, n, endpoint=False)). 4 of 50 gives 999, 759, 499, 259.
    /// </summary>
    public static int[] LcmTimesteps(int steps, int numTrainTimesteps, int originalInferenceSteps)
    {
        ValidateSteps(steps, numTrainTimesteps);
        if (originalInferenceSteps < 1 || originalInferenceSteps > numTrainTimesteps)
            throw new ReNoiseInputException(
                $"original_inference_steps must be between 1 and num_train_timesteps (got {originalInferenceSteps})");
        if (steps > originalInferenceSteps)
            throw new ReNoiseInputException(
                $"steps ({steps}) must not exceed the LCM schedule's original_inference_steps ({originalInferenceSteps})");
        int k = numTrainTimesteps / originalInferenceSteps;
        double stride = (double)originalInferenceSteps / steps; // numpy computes linspace values as i * step
        var timesteps = new int[steps];
        for (int i = 0; i < steps; i++)
        {
            int j = (int)Math.Floor(i * stride);          // position in the reversed origin schedule
            timesteps[i] = (originalInferenceSteps - j) * k - 1;
        }
        return timesteps;
    }

    /// <summary>Throws <see cref="ReNoiseInputException"/> unless 1 &lt;= steps &lt;= num_train_timesteps.</summary>
    public static void ValidateSteps(int steps, int numTrainTimesteps)
    {
        if (steps < 1) throw new ReNoiseInputException("steps must be at least 1");
        if (steps > numTrainTimesteps)
            throw new ReNoiseInputException($"steps ({steps}) must not exceed num_train_timesteps ({numTrainTimesteps})");
    }

    private static double[] Linspace(double start, double stop, int count)
    {
        var result = new double[count];
        if (count == 1)
        {
            result[0] = start;
            return result;
        }
        double step = (stop - start) / (count - 1);
        for (int i = 0; i < count - 1; i++) result[i] = start + i * step;
        result[count - 1] = stop;
        return result;
    }

    private static double[] Square(double[] values)
    {
        for (int i = 0; i < values.Length; i++) values[i] *= values[i];
        return values;
    }
}
