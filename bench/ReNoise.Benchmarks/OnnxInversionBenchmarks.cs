using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Benchmarks;

/// <summary>
/// (c) Full inversions on the tiny-sd-turbo fixture (ONNX Runtime, CPU provider, spec defaults:
/// Euler ancestral, 4 steps, R = 9, 40 UNet calls) at 128x128 (latent 4x16x16) and 512x512
/// (latent 4x64x64). <see cref="Inversion"/> is ReNoiseInverter.Invert alone (the image already
/// encoded); <see cref="UNetCall"/> one UNet evaluation through the engine's ONNX layer (its
/// allocation is what the model adds to a renoise iteration's); <see cref="Pipeline"/> is InversionPipeline.Invert (prompt and VAE encoding,
/// inversion, reconstruction, VAE decoding, PSNR/SSIM). Each call's wall time and the growth of
/// the time inside ONNX Runtime's Run during it are summed in the benchmark process and reported by
/// <see cref="OrtShareColumn"/>: the share of the time spent inside ONNX Runtime.
/// </summary>
[Config(typeof(Config))]
public class OnnxInversionBenchmarks
{
    private const string Fixture = "tiny-sd-turbo";
    private const string PromptText = "a cup of coffee";

    [Params(128, 512)]
    public int ImageSize { get; set; }

    private DiffusionModel _model = null!;
    private InversionPipeline _pipeline = null!;
    private RgbImage _image = null!;
    private ReNoiseInverter _inverter = null!;
    private LatentShape _shape;
    private InversionInputs _inputs = null!;
    private NoiseMaps _stepNoise = null!;
    private float[] _sample = null!, _output = null!;
    private PromptEmbeddings[] _conditioning = null!;
    private long _wallTicks, _ortTicks, _calls;

    [GlobalSetup]
    public void Setup()
    {
        _model = DiffusionModel.Load(RepoPaths.FixtureModel(Fixture), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });
        _pipeline = new InversionPipeline(_model);
        _image = ImageLoader.Load(RepoPaths.FixtureImage("coffee.png"), ImageSize, ImageSize);

        var options = new InversionParameters();
        IScheduler scheduler = _pipeline.Plan(new InversionRequest { Prompt = PromptText, Parameters = options }).Sampler;
        LatentShape shape = _shape = _model.LatentShapeFor(ImageSize, ImageSize);
        var pixels = new float[3 * ImageSize * ImageSize];
        ImageTensor.ToNchw(_image, pixels);
        var random = new SeededRandom(options.Seed);
        var forward = new float[shape.Length];
        random.FillGaussian(forward);
        _stepNoise = new NoiseMaps(shape, scheduler.Timesteps.Count);
        for (int k = 0; k < _stepNoise.Count; k++) random.FillGaussian(_stepNoise[k]);
        _inputs = new InversionInputs
        {
            CleanLatent = _model.EncodeImage(pixels, ImageSize, ImageSize),
            ForwardNoise = forward,
            StepNoise = _stepNoise.Clone(),
            Prompt = _model.EncodePrompt(PromptText),
            ForwardNoisedKlTarget = InversionPipeline.UsesForwardNoisedKlTarget(_model.Family, scheduler),
        };
        _inverter = new ReNoiseInverter(scheduler, _model.UNet, shape, options);
        _sample = (float[])forward.Clone();
        _output = new float[shape.Length];
        _conditioning = [_inputs.Prompt];
    }

    /// <summary>One UNet evaluation (batch 1) through the engine's ONNX layer: what a renoise iteration adds to the engine's own work.</summary>
    [Benchmark]
    public float[] UNetCall()
    {
        long ort = UNetOrtTicks, started = Stopwatch.GetTimestamp();
        _model.UNet.Predict(_sample, _shape, 499, _conditioning, _output);
        Record(started, ort, UNetOrtTicks);
        return _output;
    }

    [Benchmark]
    public float[] Inversion()
    {
        // Noise correction edits the maps in place; start every inversion from the same draws.
        _stepNoise.Data.CopyTo(_inputs.StepNoise.Data, 0);
        long ort = UNetOrtTicks, started = Stopwatch.GetTimestamp();
        var trace = _inverter.Invert(_inputs);
        Record(started, ort, UNetOrtTicks);
        return trace.Latent;
    }

    [Benchmark]
    public InversionResult Pipeline()
    {
        long ort = _model.OrtTime.Ticks, started = Stopwatch.GetTimestamp();
        var result = _pipeline.Invert(new InversionRequest { Prompt = PromptText, Parameters = InversionParameters.Default with { Width = ImageSize, Height = ImageSize } }, _image);
        Record(started, ort, _model.OrtTime.Ticks);
        return result;
    }

    [GlobalCleanup(Target = nameof(Inversion))]
    public void CleanupInversion() => Cleanup(nameof(Inversion));

    [GlobalCleanup(Target = nameof(UNetCall))]
    public void CleanupUNetCall() => Cleanup(nameof(UNetCall));

    [GlobalCleanup(Target = nameof(Pipeline))]
    public void CleanupPipeline() => Cleanup(nameof(Pipeline));

    /// <summary>
    /// ONNX Runtime time of the UNet session alone: UNetCall and Inversion run nothing else, and unlike
    /// DiffusionModel.OrtTime (an iterator over the created sessions, about 55 B per read) reading it
    /// allocates nothing, so their Allocated column is the engine's and the UNet boundary's alone.
    /// </summary>
    private long UNetOrtTicks => _model.UNet.Session.OrtTime.Ticks;

    private void Record(long started, long ortBefore, long ortAfter)
    {
        _wallTicks += Stopwatch.GetElapsedTime(started).Ticks;
        _ortTicks += ortAfter - ortBefore;
        _calls++;
    }

    private void Cleanup(string method)
    {
        OrtShareLog.Write(OrtShareLog.Key(method, ImageSize), _calls, TimeSpan.FromTicks(_wallTicks), TimeSpan.FromTicks(_ortTicks));
        _model.Dispose();
    }

    private sealed class Config : ShortRunConfig
    {
        // The benchmark process learns where to log from an environment variable of its job.
        public Config() : base(Job.ShortRun.WithEnvironmentVariable(OrtShareLog.EnvironmentVariable, OrtShareLog.HostFile))
            => AddColumn(OrtShareColumn.All);
    }
}
