using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Schedulers;

/// <summary>Real diffusers scheduler configs and small helpers shared by the scheduler tests.</summary>
internal static class SchedulerTestData
{
    /// <summary>runwayml/stable-diffusion-v1-5 scheduler_config.json (PNDM; DDIM is the fallback).</summary>
    public const string Sd15Json = """
        {
          "_class_name": "PNDMScheduler",
          "_diffusers_version": "0.6.0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "num_train_timesteps": 1000,
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "trained_betas": null,
          "clip_sample": false
        }
        """;

    /// <summary>stabilityai/sdxl-turbo scheduler_config.json.</summary>
    public const string SdxlTurboJson = """
        {
          "_class_name": "EulerAncestralDiscreteScheduler",
          "_diffusers_version": "0.24.0.dev0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "clip_sample": false,
          "interpolation_type": "linear",
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "sample_max_value": 1.0,
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "timestep_spacing": "trailing",
          "trained_betas": null,
          "use_karras_sigmas": false
        }
        """;

    /// <summary>An LCM model's scheduler_config.json (LCM_Dreamshaper_v7 style).</summary>
    public const string LcmJson = """
        {
          "_class_name": "LCMScheduler",
          "_diffusers_version": "0.22.0.dev0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "clip_sample": false,
          "clip_sample_range": 1.0,
          "dynamic_thresholding_ratio": 0.995,
          "num_train_timesteps": 1000,
          "original_inference_steps": 50,
          "prediction_type": "epsilon",
          "rescale_betas_zero_snr": false,
          "sample_max_value": 1.0,
          "set_alpha_to_one": true,
          "steps_offset": 1,
          "thresholding": false,
          "timestep_scaling": 10.0,
          "timestep_spacing": "leading",
          "trained_betas": null
        }
        """;

    public static SchedulerConfig Sd15 => SchedulerConfig.Parse(Sd15Json);
    public static SchedulerConfig SdxlTurbo => SchedulerConfig.Parse(SdxlTurboJson);
    public static SchedulerConfig LcmConfig => SchedulerConfig.Parse(LcmJson);

    /// <summary>4 x 8 x 8: small enough for speed, large enough for statistics.</summary>
    public const int LatentLength = 4 * 8 * 8;

    /// <summary>A spread of schedulers and schedules: (label, scheduler).</summary>
    public static IEnumerable<(string Label, IScheduler Scheduler)> AllSchedulers()
    {
        yield return ("ddim sd15 leading 50", new DdimScheduler(Sd15, 50));
        yield return ("ddim trailing 4", new DdimScheduler(SdxlTurbo, 4));
        yield return ("ddim set_alpha_to_one 10", new DdimScheduler(Sd15 with { SetAlphaToOne = true }, 10));
        yield return ("euler trailing 4", new EulerAncestralScheduler(SdxlTurbo, 4));
        yield return ("euler linspace 4", new EulerAncestralScheduler(SdxlTurbo with { TimestepSpacing = TimestepSpacing.Linspace }, 4));
        yield return ("euler leading 10", new EulerAncestralScheduler(Sd15 with { TimestepSpacing = TimestepSpacing.Leading }, 10));
        yield return ("lcm 1", new LcmScheduler(LcmConfig, 1));
        yield return ("lcm 4", new LcmScheduler(LcmConfig, 4));
        yield return ("lcm 8", new LcmScheduler(LcmConfig, 8));
    }

    public static IEnumerable<object[]> AllSchedulerLabels() => AllSchedulers().Select(s => new object[] { s.Label });

    public static IScheduler ByLabel(string label) => AllSchedulers().Single(s => s.Label == label).Scheduler;

    public static float[] Gaussian(int seed, int length = LatentLength, double scale = 1.0)
    {
        var random = new SeededRandom(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(scale * random.NextGaussian());
        return values;
    }

    /// <summary>||actual - expected|| / ||expected||, in double.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
        }
        return Math.Sqrt(diff / norm);
    }

    public static double RelativeError(ReadOnlySpan<float> actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = actual[i] - expected[i];
            diff += d * d;
            norm += expected[i] * expected[i];
        }
        return Math.Sqrt(diff / norm);
    }

    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }
        return Math.Sqrt(sum);
    }
}
