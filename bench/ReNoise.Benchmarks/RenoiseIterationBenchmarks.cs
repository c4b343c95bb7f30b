using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Benchmarks;

/// <summary>
/// (a) Engine-side work of one renoise iteration for a 4x64x64 latent (a 512x512 image), with a
/// UNet that only copies a stored noise map: what ReNoiseInverter does per iteration besides the
/// model call, i.e. scaling the input and taking the output (GuidedNoisePredictor), the running
/// mean, the regularization at the spec defaults (lambda_ac 20, lambda_kl 0.065, 4 steps, 5 rolls),
/// the inverse step and the convergence residual. The pieces are timed on their own too.
/// Target (issue 3): <see cref="Iteration"/> under 1 ms on this two-core machine, 0 B allocated.
/// </summary>
[Config(typeof(ShortRunConfig))]
public class RenoiseIterationBenchmarks
{
    /// <summary>SD-Turbo's scheduler (the tiny-sd-turbo fixture's config).</summary>
    internal const string SdTurboSchedulerConfig = """
        {
          "_class_name": "EulerAncestralDiscreteScheduler",
          "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
          "num_train_timesteps": 1000, "prediction_type": "epsilon",
          "steps_offset": 1, "timestep_spacing": "trailing"
        }
        """;

    private static readonly LatentShape Shape = new(4, 64, 64);

    /// <summary>t = 749 of the 4-step trailing schedule: a step whose inverse step uses its noise map.</summary>
    private const int Index = 1;

    private IScheduler _scheduler = null!;
    private FixedNoisePredictor _unet = null!;
    private GuidedNoisePredictor _eps = null!;
    private NoiseRegularizer _regularizer = null!;
    private float[] _zt = null!, _guess = null!, _previous = null!, _e = null!, _eOpt = null!;
    private float[] _average = null!, _noise = null!;
    private float[] _gradient = null!, _acScratchFloat = null!;
    private float[] _acScratch = null!;
    private int[] _shifts = null!;
    private SeededRandom _shiftRandom = null!;

    [GlobalSetup]
    public void Setup()
    {
        _scheduler = SchedulerFactory.Create(SchedulerNames.EulerAncestral, SchedulerConfig.Parse(SdTurboSchedulerConfig), 4);
        int n = Shape.Length;
        _unet = new FixedNoisePredictor(FixedNoisePredictor.Gaussian(n, 1));
        _eps = new GuidedNoisePredictor(_scheduler, _unet, Shape, FixedNoisePredictor.Prompt(), null, 0.0);
        _regularizer = new NoiseRegularizer(RegularizationOptions.Default, Shape, new SeededRandom(7865));
        _zt = FixedNoisePredictor.Gaussian(n, 2);
        _guess = (float[])_zt.Clone();
        _previous = new float[n];
        _e = new float[n];
        _eOpt = FixedNoisePredictor.Gaussian(n, 3);
        _average = FixedNoisePredictor.Gaussian(n, 4);
        _noise = FixedNoisePredictor.Gaussian(n, 5);
        _gradient = new float[n];
        _acScratchFloat = new float[n];
        _acScratch = new float[PairwiseCorrelationLoss.ScratchLength(Shape)];
        _shifts = new int[PairwiseCorrelationLoss.ShiftCount(Shape)];
        _shiftRandom = new SeededRandom(11);
    }

    /// <summary>One regularized iteration, as the loop body of ReNoiseInverter.InvertStep runs it.</summary>
    [Benchmark]
    public float Iteration()
    {
        _eps.Predict(_guess, Index, _e);
        RunningMean(_average, _e, 1);
        _regularizer.Regularize(_e, _eOpt);
        _guess.CopyTo(_previous, 0);
        _scheduler.InverseStep(_zt, _e, _noise, Index, _guess);
        return RelativeChange(_guess, _previous);
    }

    /// <summary>An iteration outside the averaging window's regularized range (no Regularize).</summary>
    [Benchmark]
    public float IterationUnregularized()
    {
        _eps.Predict(_guess, Index, _e);
        RunningMean(_average, _e, 1);
        _guess.CopyTo(_previous, 0);
        _scheduler.InverseStep(_zt, _e, _noise, Index, _guess);
        return RelativeChange(_guess, _previous);
    }

    /// <summary>NoiseRegularizer.Regularize at the defaults, on a fresh prediction each time (includes a 64 KB copy).</summary>
    [Benchmark]
    public void Regularize()
    {
        _unet.Noise.CopyTo(_e, 0);
        _regularizer.Regularize(_e, _eOpt);
    }

    /// <summary>One patch-KL gradient (Regularize runs 4).</summary>
    [Benchmark]
    public double PatchKlGradient() => PatchKlLoss.Gradient(_unet.Noise, _eOpt, Shape, _gradient);

    /// <summary>One auto-correlation roll: shifts drawn, gradient (Regularize runs 20).</summary>
    [Benchmark]
    public double PairwiseCorrelationGradient()
    {
        PairwiseCorrelationLoss.DrawShifts(Shape, _shiftRandom, _shifts);
        return PairwiseCorrelationLoss.Gradient(_unet.Noise, Shape, _shifts, _gradient, _acScratch);
    }

    /// <summary>GuidedNoisePredictor.Predict around the copying UNet: input scaling, output copy.</summary>
    [Benchmark]
    public void Predict() => _eps.Predict(_guess, Index, _e);

    [Benchmark]
    public void InverseStep() => _scheduler.InverseStep(_zt, _unet.Noise, _noise, Index, _acScratchFloat);

    /// <summary>The inverter's running mean (ReNoiseInverter.RunningMean is private; same two passes).</summary>
    private static void RunningMean(Span<float> average, ReadOnlySpan<float> e, int j)
    {
        TensorPrimitives.Multiply(average, j / (float)(j + 1), average);
        TensorPrimitives.MultiplyAdd(e, 1f / (j + 1), average, average);
    }

    private static float RelativeChange(ReadOnlySpan<float> current, ReadOnlySpan<float> previous)
    {
        float norm = TensorPrimitives.Norm(current);
        return norm > 0 ? TensorPrimitives.Distance(current, previous) / norm : 0f;
    }
}
