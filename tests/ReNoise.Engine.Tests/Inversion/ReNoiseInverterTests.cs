using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Inversion;

public sealed class ReNoiseInverterTests
{
    private static readonly LatentShape Shape = new(4, 16, 16);

    internal static IScheduler Scheduler(string name, int steps = 4, string spacing = "trailing") =>
        SchedulerFactory.Create(name, SchedulerConfig.Parse($$"""
            { "_class_name": "EulerAncestralDiscreteScheduler", "num_train_timesteps": 1000, "beta_start": 0.00085,
              "beta_end": 0.012, "beta_schedule": "scaled_linear", "timestep_spacing": "{{spacing}}", "steps_offset": 1,
              "set_alpha_to_one": false, "prediction_type": "epsilon", "original_inference_steps": 50, "timestep_scaling": 10.0 }
            """), steps);

    private static float[] Gaussian(int seed, float scale = 1f)
    {
        var data = new float[Shape.Length];
        new SeededRandom(seed).FillGaussian(data);
        for (int i = 0; i < data.Length; i++) data[i] *= scale;
        return data;
    }

    private static InversionInputs Inputs(IScheduler scheduler, int startIndex = 0) => new()
    {
        CleanLatent = Gaussian(1, 0.8f),
        ForwardNoise = Gaussian(2),
        StepNoise = scheduler.IsStochastic
            ? TestNoiseMaps.Of(Shape, scheduler.Timesteps.Count - startIndex, k => Gaussian(10 + k))
            : NoiseMaps.None(Shape),
        Prompt = AnalyticDenoiser.Prompt(1f),
        Negative = AnalyticDenoiser.Prompt(-1f),
        StartIndex = startIndex,
    };

    [Fact]
    public void Defaults_on_euler_ancestral_at_4_steps_cost_40_model_calls_the_first_of_each_step_batched()
    {
        var scheduler = Scheduler("euler-ancestral");
        var unet = new AnalyticDenoiser(scheduler.AlphasCumprod);
        var trace = new ReNoiseInverter(scheduler, unet, Shape, new InversionParameters()).Invert(Inputs(scheduler));

        Assert.Equal(40, trace.Nfe);
        Assert.Equal(40, unet.Calls.Count);
        // Ascending: 249 gets 6 iterations (capped) + correction, the others 10 + correction.
        int[] expected = [.. Enumerable.Repeat(249, 7), .. Enumerable.Repeat(499, 11), .. Enumerable.Repeat(749, 11), .. Enumerable.Repeat(999, 11)];
        Assert.Equal(expected, unet.Calls.Select(c => c.Timestep));
        int[] batchTwo = [0, 7, 18, 29];
        for (int call = 0; call < unet.Calls.Count; call++)
            Assert.Equal(batchTwo.Contains(call) ? 2 : 1, unet.Calls[call].Batch);
        Assert.Equal([249, 499, 749, 999], trace.InvertedTimesteps);
        Assert.Equal([5, 9, 9, 9], trace.Residuals.Select(r => r.Length));
        Assert.Equal(5, trace.Trajectory.Count);
    }

    [Fact]
    public void Guidance_doubles_every_batch_and_ddim_makes_no_correction_call()
    {
        var scheduler = Scheduler("ddim");
        var unet = new AnalyticDenoiser(scheduler.AlphasCumprod);
        var trace = new ReNoiseInverter(scheduler, unet, Shape, new InversionParameters { InversionGuidance = 2.0 }).Invert(Inputs(scheduler));

        Assert.Equal(6 + 3 * 10, trace.Nfe);
        Assert.All(new[] { 0, 6, 16, 26 }, call => Assert.Equal(4, unet.Calls[call].Batch));
        Assert.All(unet.Calls.Skip(1).Where((_, i) => i != 5 && i != 15 && i != 25), c => Assert.Equal(2, c.Batch));
    }

    [Fact]
    public void Without_regularization_no_call_is_batched()
    {
        var scheduler = Scheduler("euler-ancestral");
        var unet = new AnalyticDenoiser(scheduler.AlphasCumprod);
        new ReNoiseInverter(scheduler, unet, Shape, new InversionParameters { RegularizationSteps = 0 }).Invert(Inputs(scheduler));
        Assert.All(unet.Calls, c => Assert.Equal(1, c.Batch));
    }

    [Fact]
    public void Averaging_inverts_with_the_mean_of_the_windowed_predictions()
    {
        // DDIM's inverse step is affine in eps, so the final latent must equal the inverse step
        // taken with the plain mean of the predictions of iterations 1 and 2 (window 1:3).
        var scheduler = Scheduler("ddim", steps: 1);
        var unet = new RecordingDenoiser(new AnalyticDenoiser(scheduler.AlphasCumprod));
        var options = new InversionParameters
        {
            InversionSteps = 1, RenoiseSteps = 3, RegularizationSteps = 0,
            AverageFirstStep = new(1, 3), AverageOtherSteps = new(1, 3),
        };
        var inputs = Inputs(scheduler);
        var trace = new ReNoiseInverter(scheduler, unet, Shape, options).Invert(inputs);

        Assert.Equal(4, unet.Outputs.Count);
        var mean = new float[Shape.Length];
        for (int i = 0; i < mean.Length; i++) mean[i] = (unet.Outputs[1][i] + unet.Outputs[2][i]) / 2;
        var expected = new float[Shape.Length];
        scheduler.InverseStep(inputs.CleanLatent, mean, [], 0, expected);
        AssertClose(expected, trace.Latent, 1e-5);
    }

    [Fact]
    public void Renoising_converges_the_iterate_towards_the_implicit_step()
    {
        // With this denoiser the fixed-point map contracts at every step (factor ~0.3 at t=249,
        // ~0.96 at t=999), so every step's residuals shrink and the lowest step converges fully.
        var scheduler = Scheduler("euler-ancestral");
        var options = new InversionParameters { RenoiseSteps = 20, FirstStepRenoiseCap = 20, Averaging = false, RegularizationSteps = 0, NoiseCorrection = NoiseCorrectionMode.Off };
        var trace = new ReNoiseInverter(scheduler, new AnalyticDenoiser(scheduler.AlphasCumprod, nonlinearity: 0.02f), Shape, options).Invert(Inputs(scheduler));
        Assert.All(trace.Residuals, r => Assert.Equal(20, r.Length));
        foreach (var residuals in trace.Residuals)
            Assert.True(residuals[^1] < residuals[0], $"residual went from {residuals[0]} to {residuals[^1]}");
        Assert.True(trace.Residuals[0][^1] < 1e-6, $"t=249 did not converge: {trace.Residuals[0][^1]}");
    }

    [Theory]
    [InlineData("euler-ancestral")]
    [InlineData("lcm")]
    public void Exact_noise_correction_makes_each_forward_step_land_on_the_previous_latent(string name)
    {
        var scheduler = Scheduler(name);
        var unet = new AnalyticDenoiser(scheduler.AlphasCumprod);
        var inputs = Inputs(scheduler);
        // Regularization off: with this stand-in denoiser LCM's latents grow large at high noise,
        // where the AC step (lambda 20) is unstable; correction does not depend on it.
        var options = new InversionParameters { NoiseCorrection = NoiseCorrectionMode.Exact, RegularizationSteps = 0 };
        var trace = new ReNoiseInverter(scheduler, unet, Shape, options).Invert(inputs);

        var eps = new GuidedNoisePredictor(scheduler, unet, Shape, inputs.Prompt, null, 1.0);
        var e = new float[Shape.Length];
        var landed = new float[Shape.Length];
        int checkedSteps = 0;
        for (int k = 0; k < trace.InvertedTimesteps.Count; k++)
        {
            int index = scheduler.Timesteps.Count - 1 - k;
            if (!scheduler.StepUsesNoise(index)) continue;
            eps.Predict(trace.Trajectory[k + 1], index, e);
            scheduler.Step(trace.Trajectory[k + 1], e, trace.NoiseMaps[index], index, landed);
            AssertClose(trace.Trajectory[k], landed, 1e-5);
            checkedSteps++;
        }
        Assert.Equal(3, checkedSteps);
    }

    [Fact]
    public void Pooled_scratch_from_an_earlier_inversion_does_not_change_the_next_one()
    {
        // The loop's scratch latents come from LatentPool with stale contents; a run after other
        // runs (with other settings, leaving other values behind) must equal a run on fresh buffers.
        var scheduler = Scheduler("euler-ancestral");
        var shape = new LatentShape(4, 16, 24); // a length no other test uses: the first run gets fresh buffers
        Func<InversionTrace> run = () => new ReNoiseInverter(scheduler, new AnalyticDenoiser(scheduler.AlphasCumprod), shape, new InversionParameters())
            .Invert(new InversionInputs
            {
                CleanLatent = GaussianOf(shape, 1), ForwardNoise = GaussianOf(shape, 2),
                StepNoise = TestNoiseMaps.Of(shape, 4, k => GaussianOf(shape, 10 + k)),
                Prompt = AnalyticDenoiser.Prompt(1f),
            });
        var fresh = run();
        new ReNoiseInverter(scheduler, new AnalyticDenoiser(scheduler.AlphasCumprod), shape, new InversionParameters { RenoiseSteps = 3, Averaging = false })
            .Invert(new InversionInputs
            {
                CleanLatent = GaussianOf(shape, 5), ForwardNoise = GaussianOf(shape, 6),
                StepNoise = TestNoiseMaps.Of(shape, 4, k => GaussianOf(shape, 20 + k)),
                Prompt = AnalyticDenoiser.Prompt(-1f),
            });
        var reused = run();
        Assert.Equal(fresh.Latent, reused.Latent);
        Assert.Equal(fresh.NoiseMaps[0].ToArray(), reused.NoiseMaps[0].ToArray());
    }

    private static float[] GaussianOf(LatentShape shape, int seed)
    {
        var data = new float[shape.Length];
        new SeededRandom(seed).FillGaussian(data);
        return data;
    }

    [Fact]
    public void A_diverging_inversion_stops_with_a_message_naming_the_timestep()
    {
        // Regularization weights far too large for the prediction scale blow the noise up.
        var scheduler = Scheduler("euler-ancestral");
        var inverter = new ReNoiseInverter(scheduler, new AnalyticDenoiser(scheduler.AlphasCumprod), Shape, new InversionParameters { LambdaAc = 1e6 });
        var e = Assert.Throws<InversionDivergedException>(() => inverter.Invert(Inputs(scheduler)));
        Assert.Contains(e.Timestep, scheduler.Timesteps);
        Assert.StartsWith($"the inversion diverged at timestep {e.Timestep} (non-finite latent)", e.Message);
        Assert.Equal([ParameterKey.LambdaAc, ParameterKey.LambdaKl, ParameterKey.RenoiseSteps], e.Remedies);
        Assert.EndsWith("lower <LambdaAc>, <LambdaKl> or <RenoiseSteps>", e.Describe(k => $"<{k}>"));
    }

    [Fact]
    public void Strength_inverts_only_the_low_noise_steps_and_denoise_uses_the_same_ones()
    {
        var scheduler = Scheduler("euler-ancestral");
        var unet = new AnalyticDenoiser(scheduler.AlphasCumprod);
        int start = InversionPipeline.StartIndexFor(scheduler.Timesteps, 0.5, sdxlRule: false);
        Assert.Equal(2, start);
        var inputs = Inputs(scheduler, start);
        var inverter = new ReNoiseInverter(scheduler, unet, Shape, new InversionParameters { Strength = 0.5 });
        var trace = inverter.Invert(inputs);
        Assert.Equal([249, 499], trace.InvertedTimesteps);

        unet.Calls.Clear();
        inverter.Denoise(trace.Latent, start, trace.NoiseMaps, inputs.Prompt, null, 1.0);
        Assert.Equal([499, 249], unet.Calls.Select(c => c.Timestep));
    }

    [Theory]
    [InlineData(1.0, false, 0)]
    [InlineData(0.5, false, 2)]
    [InlineData(0.3, false, 3)]
    [InlineData(0.4, true, 3)]  // SDXL: t < round(400) keeps only 249
    [InlineData(0.75, true, 1)] // t < 750 keeps 749, 499, 249
    public void Strength_keeps_the_timesteps_each_pipeline_family_keeps(double strength, bool sdxl, int start)
    {
        int[] timesteps = [999, 749, 499, 249];
        Assert.Equal(start, InversionPipeline.StartIndexFor(timesteps, strength, sdxl));
    }

    [Fact]
    public void A_strength_that_keeps_no_timestep_is_bad_input()
    {
        var e = Assert.Throws<ReNoiseInputException>(() => InversionPipeline.StartIndexFor([999, 749, 499, 249], 0.1, false));
        var problem = Assert.Single(e.Problems);
        Assert.Equal(ParameterKey.Strength, problem.Key);
        Assert.Equal("0.1 inverts none of the 4 timesteps; raise it or the step count", problem.Message);
    }

    [Fact]
    public void Cancellation_stops_before_the_next_model_call()
    {
        var scheduler = Scheduler("euler-ancestral");
        var unet = new AnalyticDenoiser(scheduler.AlphasCumprod);
        using var cts = new CancellationTokenSource();
        var inverter = new ReNoiseInverter(scheduler, unet, Shape, new InversionParameters());
        Assert.Throws<OperationCanceledException>(() => inverter.Invert(Inputs(scheduler), p => { if (p.Nfe == 3) cts.Cancel(); }, cts.Token));
        Assert.Equal(3, unet.Calls.Count);
    }

    [Fact]
    public void Progress_reports_every_model_call_with_its_step_and_iteration()
    {
        var scheduler = Scheduler("euler-ancestral");
        var reports = new List<InversionProgress>();
        new ReNoiseInverter(scheduler, new AnalyticDenoiser(scheduler.AlphasCumprod), Shape, new InversionParameters()).Invert(Inputs(scheduler), reports.Add);
        var calls = reports.Where(r => !r.StepCompleted).ToList();
        Assert.Equal(40, calls.Count);
        Assert.Equal(Enumerable.Range(1, 40), calls.Select(r => r.Nfe));
        Assert.Equal(new InversionProgress(1, 4, 0, 5, 1, 249), calls[0]);
        Assert.Equal(new InversionProgress(4, 4, 10, 9, 40, 999), calls[^1]);
    }

    [Fact]
    public void Step_completion_hands_out_each_trajectory_entry_after_its_step()
    {
        var scheduler = Scheduler("euler-ancestral");
        var seen = new List<(int Step, float[] Latent, int Nfe)>();
        var trace = new ReNoiseInverter(scheduler, new AnalyticDenoiser(scheduler.AlphasCumprod), Shape, new InversionParameters())
            .Invert(Inputs(scheduler), p => { if (p.StepCompleted) seen.Add((p.Step, p.StepLatent.ToArray(), p.Nfe)); });

        Assert.Equal([1, 2, 3, 4], seen.Select(s => s.Step));
        for (int k = 0; k < 4; k++) Assert.Equal(trace.Trajectory[k + 1], seen[k].Latent);
        // Called once a step is complete: after its last model call (7, 18, 29, 40 calls).
        Assert.Equal([7, 18, 29, 40], seen.Select(s => s.Nfe));
    }

    internal static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double relative)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff += (expected[i] - actual[i]) * (double)(expected[i] - actual[i]);
            norm += expected[i] * (double)expected[i];
        }
        Assert.True(Math.Sqrt(diff) <= relative * Math.Sqrt(norm), $"relative error {Math.Sqrt(diff / norm)} exceeds {relative}");
    }

    /// <summary>Keeps a copy of every output of the wrapped predictor.</summary>
    private sealed class RecordingDenoiser(INoisePredictor inner) : INoisePredictor
    {
        public List<float[]> Outputs { get; } = [];

        public void Predict(ReadOnlySpan<float> samples, LatentShape shape, int timestep, ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output)
        {
            inner.Predict(samples, shape, timestep, conditioning, output);
            Outputs.Add(output.ToArray());
        }
    }
}
