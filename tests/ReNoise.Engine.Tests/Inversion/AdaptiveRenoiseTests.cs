using System.Numerics.Tensors;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Inversion;

/// <summary>Adaptive renoise (--renoise-tolerance) and Anderson acceleration (--renoise-accel anderson) of the §5 loop.</summary>
public sealed class AdaptiveRenoiseTests
{
    private static readonly LatentShape Shape = new(4, 16, 16);

    private static float[] Gaussian(int seed, float scale = 1f)
    {
        var data = new float[Shape.Length];
        new SeededRandom(seed).FillGaussian(data);
        TensorPrimitives.Multiply(data, scale, data);
        return data;
    }

    /// <summary>Fresh inputs each call: noise correction updates the step noise in place.</summary>
    private static InversionInputs Inputs(IScheduler scheduler) => new()
    {
        CleanLatent = Gaussian(1, 0.8f),
        ForwardNoise = Gaussian(2),
        StepNoise = scheduler.IsStochastic ? TestNoiseMaps.Of(Shape, scheduler.Timesteps.Count, k => Gaussian(10 + k)) : NoiseMaps.None(Shape),
        Prompt = AnalyticDenoiser.Prompt(1f),
    };

    private static InversionTrace Invert(IScheduler scheduler, InversionParameters options, INoisePredictor? unet = null) =>
        new ReNoiseInverter(scheduler, unet ?? new AnalyticDenoiser(scheduler.AlphasCumprod), Shape, options).Invert(Inputs(scheduler));

    [Fact]
    public void A_tolerance_no_step_reaches_reproduces_the_default_loop_bit_for_bit()
    {
        // Averaging, regularization and correction on: the adaptive path keeps the last L predictions
        // in a ring instead of a running mean, and must average them with the same arithmetic.
        var scheduler = ReNoiseInverterTests.Scheduler("euler-ancestral");
        var fixedLoop = Invert(scheduler, new InversionParameters());
        var adaptive = Invert(scheduler, new InversionParameters { RenoiseTolerance = 1e-30 });

        Assert.Equal(40, adaptive.Nfe);
        Assert.Equal(0, adaptive.NfeSaved);
        Assert.Equal(fixedLoop.Latent, adaptive.Latent);
        Assert.Equal(fixedLoop.NoiseMaps.Data, adaptive.NoiseMaps.Data);
        Assert.Equal(fixedLoop.Residuals.Select(r => r.Length), adaptive.Residuals.Select(r => r.Length));
    }

    [Fact]
    public void Each_step_stops_after_the_first_iteration_whose_residual_is_below_the_tolerance()
    {
        var scheduler = ReNoiseInverterTests.Scheduler("euler-ancestral");
        var options = new InversionParameters { RenoiseTolerance = 0.05, RegularizationSteps = 0 };
        var full = Invert(scheduler, options with { RenoiseTolerance = 0 });
        var trace = Invert(scheduler, options);

        int saved = 0;
        for (int s = 0; s < 4; s++)
        {
            float[] r = trace.Residuals[s];
            int nominal = full.Residuals[s].Length;
            Assert.InRange(r.Length, 1, nominal);
            // Stopped at k = r.Length: its residual is the first below the tolerance (or the step ran out).
            Assert.All(r[..^1], v => Assert.True(v >= 0.05f, $"continued past residual {v}"));
            if (r.Length < nominal) Assert.True(r[^1] < 0.05f);
            // Up to the stop, the first step's iterates are those of the fixed loop (later steps
            // start from a different latent).
            if (s == 0) Assert.Equal(full.Residuals[s][..r.Length], r);
            saved += nominal - r.Length;
        }
        Assert.True(saved > 0, "no step stopped early");
        Assert.Equal(saved, trace.NfeSaved);
        Assert.Equal(40 - saved, trace.Nfe);
    }

    [Theory]
    [InlineData(8, 10, 4, new[] { 3, 4 })]        // the paper's 8:10 window shifted to end at k = 4
    [InlineData(0, 5, 2, new[] { 0, 1, 2 })]      // fewer predictions than the window holds: all of them
    [InlineData(2, 4, 6, new[] { 2, 3 })]        // complete before the stop: the nominal window
    public void The_averaging_window_is_shifted_to_end_at_the_stopping_iteration(int lo, int hi, int stopAt, int[] averaged)
    {
        // DDIM's inverse step is affine in eps, so the final latent must equal the inverse step taken
        // with the plain mean of the predictions of the shifted window.
        var scheduler = ReNoiseInverterTests.Scheduler("ddim", steps: 1);
        var options = new InversionParameters
        {
            InversionSteps = 1, RenoiseSteps = 9, RegularizationSteps = 0,
            AverageFirstStep = new(lo, hi), AverageOtherSteps = new(lo, hi),
        };
        float[] residuals = Invert(scheduler, options).Residuals[0];
        Assert.True(residuals[stopAt - 1] < residuals[stopAt - 2], "residuals must shrink for this test");
        double tolerance = Math.Sqrt(residuals[stopAt - 1] * (double)residuals[stopAt - 2]);

        var unet = new RecordingDenoiser(new AnalyticDenoiser(scheduler.AlphasCumprod));
        var inputs = Inputs(scheduler);
        var trace = new ReNoiseInverter(scheduler, unet, Shape, options with { RenoiseTolerance = tolerance }).Invert(inputs);

        Assert.Equal(stopAt + 1, unet.Outputs.Count);
        Assert.Equal(9 - stopAt, trace.NfeSaved);
        var mean = new float[Shape.Length];
        foreach (int i in averaged) TensorPrimitives.Add(mean, unet.Outputs[i], mean);
        TensorPrimitives.Divide(mean, averaged.Length, mean);
        var expected = new float[Shape.Length];
        scheduler.InverseStep(inputs.CleanLatent, mean, [], 0, expected);
        ReNoiseInverterTests.AssertClose(expected, trace.Latent, 1e-5);
    }

    [Fact]
    public void Anderson_solves_the_implicit_step_far_better_than_the_plain_iteration_at_the_same_cost()
    {
        // No averaging, regularization or correction: the step is the pure fixed-point problem
        // z = InverseStep(z_t, eps(z)). The reference solution is the plain iteration run to convergence.
        var scheduler = ReNoiseInverterTests.Scheduler("euler-ancestral");
        var pure = new InversionParameters { Averaging = false, RegularizationSteps = 0, NoiseCorrection = NoiseCorrectionMode.Off };
        var converged = Invert(scheduler, pure with { RenoiseSteps = 600, FirstStepRenoiseCap = 600 });
        Assert.All(converged.Residuals, r => Assert.True(r[^1] < 1e-6, $"reference not converged: {r[^1]}"));

        var plain = Invert(scheduler, pure with { RenoiseSteps = 6, FirstStepRenoiseCap = 6 });
        var anderson = Invert(scheduler, pure with { RenoiseSteps = 6, FirstStepRenoiseCap = 6, RenoiseAcceleration = RenoiseAcceleration.Anderson });
        Assert.Equal(plain.Nfe, anderson.Nfe);

        double Error(InversionTrace t) => TensorPrimitives.Distance<float>(t.Latent, converged.Latent) / TensorPrimitives.Norm<float>(converged.Latent);
        double plainError = Error(plain), andersonError = Error(anderson);
        Assert.True(andersonError < plainError / 100, $"Anderson {andersonError:E2} vs plain {plainError:E2}");
    }

    [Fact]
    public void Anderson_with_a_tolerance_stops_earlier_than_the_plain_iteration()
    {
        var scheduler = ReNoiseInverterTests.Scheduler("euler-ancestral");
        var options = new InversionParameters { RenoiseSteps = 30, FirstStepRenoiseCap = 30, Averaging = false, RegularizationSteps = 0, RenoiseTolerance = 1e-4 };
        var plain = Invert(scheduler, options);
        var anderson = Invert(scheduler, options with { RenoiseAcceleration = RenoiseAcceleration.Anderson });
        Assert.True(anderson.Nfe < plain.Nfe, $"Anderson {anderson.Nfe} NFE vs plain {plain.Nfe}");
        Assert.All(anderson.Residuals, r => Assert.True(r[^1] < 1e-4));
    }

    [Fact]
    public void Iterations_allocate_nothing_whatever_the_acceleration_and_tolerance()
    {
        // Per-inversion buffers (trajectory, residual arrays, scratch) are fine; a latent-sized
        // allocation per iteration would cost 4 KB x hundreds of iterations.
        var scheduler = ReNoiseInverterTests.Scheduler("euler-ancestral");
        var unet = new QuietDenoiser(scheduler.AlphasCumprod);
        foreach (var accel in new[] { RenoiseAcceleration.None, RenoiseAcceleration.Anderson })
        {
            var few = new InversionParameters { RenoiseSteps = 9, RenoiseTolerance = 1e-30, RenoiseAcceleration = accel };
            var many = few with { RenoiseSteps = 49, FirstStepRenoiseCap = 45, AverageOtherSteps = new(48, 50) };
            Allocated(scheduler, unet, few); // warm up the JIT
            long a = Allocated(scheduler, unet, few), b = Allocated(scheduler, unet, many);
            // 160 more iterations; only their residual floats (4 bytes each, twice when a step's array is trimmed) may grow.
            Assert.True(b - a < 4096, $"{accel}: {b - a} more bytes for 160 more iterations");
        }
    }

    private static long Allocated(IScheduler scheduler, INoisePredictor unet, InversionParameters options)
    {
        var inverter = new ReNoiseInverter(scheduler, unet, Shape, options);
        var inputs = Inputs(scheduler);
        long before = GC.GetAllocatedBytesForCurrentThread();
        inverter.Invert(inputs);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_bad_tolerance_is_a_problem_naming_the_parameter(double tolerance)
    {
        var problem = Assert.Single(new InversionParameters { RenoiseTolerance = tolerance }.Validate());
        Assert.Equal(ParameterKey.RenoiseTolerance, problem.Key);
        Assert.StartsWith("must be a number from 0 to 1", problem.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(InversionParameters.MaxAndersonDepth + 1)]
    public void An_anderson_depth_out_of_range_is_a_problem(int depth)
    {
        var problem = Assert.Single(new InversionParameters { AndersonDepth = depth }.Validate());
        Assert.Equal(ParameterKey.AndersonDepth, problem.Key);
        Assert.Equal((1.0, (double)InversionParameters.MaxAndersonDepth), (problem.Min, problem.Max));
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

    /// <summary>The analytic denoiser's formula without its call log, so the predictor allocates nothing.</summary>
    private sealed class QuietDenoiser(IReadOnlyList<double> alphasCumprod) : INoisePredictor
    {
        public void Predict(ReadOnlySpan<float> samples, LatentShape shape, int timestep, ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output)
        {
            float s = (float)Math.Sqrt(1 - alphasCumprod[timestep]);
            for (int i = 0; i < samples.Length; i++) output[i] = s * samples[i] + 0.1f * MathF.Tanh(samples[i]);
        }
    }
}
