using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Benchmarks;

/// <summary>
/// (b) A whole ReNoiseInverter.Invert (4 Euler-ancestral steps, spec defaults, 4x64x64 latent) for
/// R = 1, 5, 9, 20, on the copying UNet (the engine alone) and on the tiny-sd-turbo fixture's ONNX
/// UNet (CPU provider; the engine plus the ONNX Runtime boundary). Allocated bytes per inversion
/// divided by the renoise iterations it ran, and the marginal bytes of each extra iteration against
/// the smallest R (columns of <see cref="RenoiseIterationColumns"/>), show whether allocation grows
/// with the iterations. Per inversion and per step allocations (scratch, trajectory) are expected.
/// </summary>
[Config(typeof(Config))]
public class InversionAllocationBenchmarks
{
    private static readonly LatentShape Shape = new(4, 64, 64);
    private const int Steps = 4;

    internal const string CopyingUNet = "copy";
    internal const string OnnxUNet = "onnx";

    [Params(CopyingUNet, OnnxUNet)]
    public string UNet { get; set; } = CopyingUNet;

    [Params(1, 5, 9, 20)]
    public int R { get; set; }

    private DiffusionModel? _model;
    private ReNoiseInverter _inverter = null!;
    private InversionInputs _inputs = null!;
    private NoiseMaps _stepNoise = null!;

    [GlobalSetup]
    public void Setup()
    {
        var scheduler = CreateScheduler();
        int n = Shape.Length;
        INoisePredictor unet = new FixedNoisePredictor(FixedNoisePredictor.Gaussian(n, 1));
        var prompt = FixedNoisePredictor.Prompt();
        if (UNet == OnnxUNet)
        {
            _model = DiffusionModel.Load(RepoPaths.FixtureModel("tiny-sd-turbo"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });
            unet = _model.UNet;
            prompt = _model.EncodePrompt("a cup of coffee");
        }
        _inverter = new ReNoiseInverter(scheduler, unet, Shape, Options(R));
        _stepNoise = new NoiseMaps(Shape, Steps);
        for (int k = 0; k < Steps; k++) FixedNoisePredictor.Gaussian(n, 10 + k).CopyTo(_stepNoise[k]);
        _inputs = new InversionInputs
        {
            CleanLatent = FixedNoisePredictor.Gaussian(n, 2),
            ForwardNoise = FixedNoisePredictor.Gaussian(n, 3),
            StepNoise = _stepNoise.Clone(),
            Prompt = prompt,
            ForwardNoisedKlTarget = true, // as the pipeline sets it for Euler ancestral
        };
    }

    [Benchmark]
    public float[] Invert()
    {
        // Noise correction edits the maps in place; start every inversion from the same draws.
        _stepNoise.Data.CopyTo(_inputs.StepNoise.Data, 0);
        return _inverter.Invert(_inputs).Latent;
    }

    [GlobalCleanup]
    public void Cleanup() => _model?.Dispose();

    internal static InversionParameters Options(int renoiseSteps) => new() { InversionSteps = Steps, RenoiseSteps = renoiseSteps };

    internal static IScheduler CreateScheduler() =>
        SchedulerFactory.Create(SchedulerNames.EulerAncestral,
            SchedulerConfig.Parse(RenoiseIterationBenchmarks.SdTurboSchedulerConfig), Steps);

    /// <summary>Renoise iterations (model calls of the loop, i = 0..R_t) one inversion runs for R.</summary>
    internal static int RenoiseIterations(int renoiseSteps)
    {
        var options = Options(renoiseSteps);
        return CreateScheduler().Timesteps.Sum(t => options.RenoiseStepsFor(t) + 1);
    }

    private sealed class Config : ShortRunConfig
    {
        public Config() => AddColumn(RenoiseIterationColumns.All);
    }
}
