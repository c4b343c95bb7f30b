using System.Diagnostics;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Benchmarks;

/// <summary>
/// (d) The fixed cost of one 512x512 inversion on the tiny-sd-turbo fixture (CPU provider, spec
/// defaults): the engine's work that does not grow with the renoise iterations, split into the
/// parts <see cref="InversionPipeline.Invert(InversionPlan, RgbImage, Action{InversionProgress}?, CancellationToken)"/>
/// runs, in its order, plus the image loading a front end does before it. Each part calls the same
/// internal method the pipeline calls. <see cref="PipelineUnregularized"/> is the whole pipeline
/// with the regularization off (its engine time is the fixed cost); <see cref="Pipeline"/> is the
/// default run (16 regularizations more). The engine time per call (wall minus the time inside
/// ONNX Runtime, measured in the benchmark process) is <see cref="OrtShareColumn"/>'s Engine/op.
/// </summary>
[Config(typeof(Config))]
public class FixedCostBenchmarks
{
    private const string Fixture = "tiny-sd-turbo";
    private const string PromptText = "a cup of coffee";
    private const string ImageFile = "coffee.png"; // 600x400: the loader resizes and crops it

    [Params(512)]
    public int ImageSize { get; set; }

    private DiffusionModel _model = null!;
    private InversionPipeline _pipeline = null!;
    private RgbImage _image = null!, _reconstruction = null!;
    private float[] _pixels = null!;
    private LatentShape _shape;
    private ReNoiseInverter _unregularized = null!;
    private InversionInputs _inputs = null!;
    private NoiseMaps _stepNoise = null!;
    private InversionTrace _trace = null!;
    private InversionParameters _options = null!;
    private long _wallTicks, _ortTicks, _calls;
    private string _method = "?";

    [GlobalSetup]
    public void Setup()
    {
        _model = DiffusionModel.Load(RepoPaths.FixtureModel(Fixture), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });
        _pipeline = new InversionPipeline(_model);
        _image = ImageLoader.Load(RepoPaths.FixtureImage(ImageFile), ImageSize, ImageSize);
        _options = InversionParameters.Default with { Width = ImageSize, Height = ImageSize };

        var plan = _pipeline.Plan(new InversionRequest { Prompt = PromptText, Parameters = _options });
        IScheduler scheduler = plan.Sampler;
        _shape = plan.Shape;
        _pixels = new float[3 * ImageSize * ImageSize];
        ImageTensor.ToNchw(_image, _pixels);
        var (forward, steps) = InversionPipeline.DrawNoise(_options.Seed, _shape, scheduler.Timesteps.Count);
        _stepNoise = steps;
        _inputs = new InversionInputs
        {
            CleanLatent = _model.EncodeImage(_pixels, ImageSize, ImageSize),
            ForwardNoise = forward,
            StepNoise = steps.Clone(),
            Prompt = _model.EncodePrompt(PromptText),
            ForwardNoisedKlTarget = InversionPipeline.UsesForwardNoisedKlTarget(_model.Family, scheduler),
        };
        _unregularized = new ReNoiseInverter(scheduler, _model.UNet, _shape, plan.Parameters with { RegularizationSteps = 0 });
        _trace = _unregularized.Invert(_inputs);
        _reconstruction = _pipeline.Decode(_unregularized.Denoise(_trace.Latent, 0, _trace.NoiseMaps, _inputs.Prompt, null, 1.0), _shape);
    }

    /// <summary>Decode, orient, resize (600x400 -> cover 512x512, Lanczos3) and flatten: the front end's part.</summary>
    [Benchmark]
    public RgbImage LoadImage()
    {
        long started = Stopwatch.GetTimestamp();
        var image = ImageLoader.Load(RepoPaths.FixtureImage(ImageFile), ImageSize, ImageSize);
        Record(started);
        return image;
    }

    /// <summary>8-bit HWC RGB to the VAE's NCHW floats in [-1, 1] (part of <see cref="EncodeImage"/>, shown alone).</summary>
    [Benchmark]
    public float[] Normalize()
    {
        long started = Stopwatch.GetTimestamp();
        ImageTensor.ToNchw(_image, _pixels);
        Record(started);
        return _pixels;
    }

    /// <summary>The forward noise and the 4 step maps from the seed.</summary>
    [Benchmark]
    public NoiseMaps DrawNoise()
    {
        long started = Stopwatch.GetTimestamp();
        var (_, steps) = InversionPipeline.DrawNoise(_options.Seed, _shape, _stepNoise.Count);
        Record(started);
        return steps;
    }

    [Benchmark]
    public object EncodePrompt()
    {
        long ort = OrtTicks, started = Stopwatch.GetTimestamp();
        var prompt = _model.EncodePrompt(PromptText);
        Record(started, ort);
        return prompt;
    }

    /// <summary>VAE encoding of the 8-bit image as the pipeline calls it (normalization included: it writes into the encoder's input).</summary>
    [Benchmark]
    public float[] EncodeImage()
    {
        long ort = OrtTicks, started = Stopwatch.GetTimestamp();
        var latent = _model.EncodeImage(_image);
        Record(started, ort);
        return latent;
    }

    /// <summary>ReNoiseInverter.Invert without regularization: 40 UNet calls and the loop's own work.</summary>
    [Benchmark]
    public float[] InvertUnregularized()
    {
        // Noise correction edits the maps in place; start every inversion from the same draws.
        _stepNoise.Data.CopyTo(_inputs.StepNoise.Data, 0);
        long ort = OrtTicks, started = Stopwatch.GetTimestamp();
        var latent = _unregularized.Invert(_inputs).Latent;
        Record(started, ort);
        return latent;
    }

    /// <summary>The reconstruction's denoising run: 4 UNet calls.</summary>
    [Benchmark]
    public float[] Reconstruct()
    {
        long ort = OrtTicks, started = Stopwatch.GetTimestamp();
        var latent = _unregularized.Denoise(_trace.Latent, 0, _trace.NoiseMaps, _inputs.Prompt, null, 1.0);
        Record(started, ort);
        return latent;
    }

    /// <summary>VAE decoding and the conversion to 8-bit RGB.</summary>
    [Benchmark]
    public RgbImage DecodeImage()
    {
        long ort = OrtTicks, started = Stopwatch.GetTimestamp();
        var image = _pipeline.Decode(_trace.Latent, _shape);
        Record(started, ort);
        return image;
    }

    [Benchmark]
    public double Psnr()
    {
        long started = Stopwatch.GetTimestamp();
        double psnr = ImageMetrics.Psnr(_image, _reconstruction);
        Record(started);
        return psnr;
    }

    [Benchmark]
    public double Ssim()
    {
        long started = Stopwatch.GetTimestamp();
        double ssim = ImageMetrics.Ssim(_image, _reconstruction);
        Record(started);
        return ssim;
    }

    /// <summary>InversionPipeline.Invert with the regularization off: its engine time is the fixed cost.</summary>
    [Benchmark]
    public InversionResult PipelineUnregularized() => Invert(_options with { RegularizationSteps = 0 });

    /// <summary>InversionPipeline.Invert at the defaults (16 regularizations).</summary>
    [Benchmark]
    public InversionResult Pipeline() => Invert(_options);

    private InversionResult Invert(InversionParameters parameters, [CallerMemberName] string method = "")
    {
        var request = new InversionRequest { Prompt = PromptText, Parameters = parameters };
        long ort = OrtTicks, started = Stopwatch.GetTimestamp();
        var result = _pipeline.Invert(request, _image);
        Record(started, ort, method);
        return result;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        OrtShareLog.Write(OrtShareLog.Key(_method, ImageSize), _calls, TimeSpan.FromTicks(_wallTicks), TimeSpan.FromTicks(_ortTicks));
        _model.Dispose();
    }

    /// <summary>ONNX Runtime time of all the model's sessions (56 B per read: an iterator over them).</summary>
    private long OrtTicks => _model.OrtTime.Ticks;

    /// <summary>
    /// Adds a call's wall time and, for parts that run ONNX models, the ONNX Runtime time it caused
    /// (<paramref name="ortBefore"/> = -1: none) to the process totals.
    /// </summary>
    private void Record(long started, long ortBefore = -1, [CallerMemberName] string method = "")
    {
        _wallTicks += Stopwatch.GetElapsedTime(started).Ticks;
        if (ortBefore >= 0) _ortTicks += OrtTicks - ortBefore;
        _calls++;
        // BenchmarkDotNet runs one benchmark case per process, so the caller names the log line.
        _method = method;
    }

    private sealed class Config : ShortRunConfig
    {
        public Config() : base(Job.ShortRun.WithEnvironmentVariable(OrtShareLog.EnvironmentVariable, OrtShareLog.HostFile))
            => AddColumn(OrtShareColumn.All);
    }
}
