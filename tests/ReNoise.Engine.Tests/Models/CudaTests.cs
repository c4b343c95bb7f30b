using System.Numerics.Tensors;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

/// <summary>
/// The CUDA path, exercised where ONNX Runtime's CUDA provider loads (the GPU machine) and reported
/// as skipped elsewhere: the same inversions as on the CPU, cross-job batching on the device, and the
/// UNet bindings that providers copying inputs at bind time re-bind per call.
/// </summary>
public sealed class CudaTests
{
    private static readonly Lazy<bool> Usable = new(() =>
        new OnnxSessionFactory(new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Auto }).ActiveProvider == "CUDAExecutionProvider");

    private const string NoCuda = "ONNX Runtime's CUDA provider does not load on this machine (no NVIDIA GPU, or no CUDA 13 / cuDNN 9 libraries)";

    private static ModelLoadOptions Cuda(int batchJobs = 1) => new() { ExecutionProvider = ExecutionProvider.Cuda, BatchJobs = batchJobs };
    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu };

    private static RgbImage Photo(string name = "coffee.png") => ImageLoader.Load(Path.Combine(TestPaths.Fixtures, "images", name), 128, 128);

    private static double RelativeDifference(float[] expected, float[] actual) =>
        TensorPrimitives.Distance<float>(expected, actual) / TensorPrimitives.Norm<float>(expected);

    [SkippableTheory]
    [InlineData("tiny-sd-turbo")]
    [InlineData("tiny-sdxl-turbo")]
    [InlineData("tiny-sd-fp16")]
    public void An_inversion_on_cuda_equals_the_one_on_the_cpu(string fixture)
    {
        Skip.IfNot(Usable.Value, NoCuda);
        var request = new InversionRequest { Prompt = "a cup of coffee", Parameters = InversionParameters.Default with { RegularizationSteps = 0 } };
        using var gpu = DiffusionModel.Load(FixturePaths.Model(fixture), Cuda());
        using var cpu = DiffusionModel.Load(FixturePaths.Model(fixture), Cpu);

        var onGpu = new InversionPipeline(gpu).Invert(request, Photo());
        var onCpu = new InversionPipeline(cpu).Invert(request, Photo());

        Assert.Equal("CUDAExecutionProvider", gpu.ExecutionProvider);
        Assert.Equal(onCpu.Nfe, onGpu.Nfe);
        // Measured on an H200: ~6e-5 relative (fp16 1.7e-4); kernels differ, the method does not.
        double tolerance = fixture == "tiny-sd-fp16" ? 1e-3 : 1e-4;
        Assert.True(RelativeDifference(onCpu.Inversion.Latent, onGpu.Inversion.Latent) < tolerance);
    }

    [SkippableFact]
    public void Jobs_batched_on_cuda_equal_the_same_jobs_alone()
    {
        Skip.IfNot(Usable.Value, NoCuda);
        var requests = new[] { "a cup of coffee", "a photo of an astronaut", "a photo of a cat" }
            .Select((p, k) => new InversionRequest { Prompt = p, Parameters = InversionParameters.Default with { Seed = 7865 + k } }).ToArray();
        var photos = new[] { Photo("coffee.png"), Photo("astronaut.png"), Photo("chelsea.png") };

        using var alone = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cuda());
        var expected = requests.Select((r, k) => new InversionPipeline(alone).Invert(r, photos[k])).ToArray();

        using var batched = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cuda(batchJobs: 3));
        var pipeline = new InversionPipeline(batched);
        var results = new InversionResult[3];
        Parallel.For(0, 3, new ParallelOptions { MaxDegreeOfParallelism = 3 }, k => results[k] = pipeline.Invert(requests[k], photos[k]));

        for (int k = 0; k < 3; k++)
            Assert.True(RelativeDifference(expected[k].Inversion.Latent, results[k].Inversion.Latent) < 1e-4, $"job {k}");
        var (calls, elements) = batched.BatchStats;
        Assert.True(elements > calls, $"{elements} elements in {calls} calls: nothing was shared");
    }

    [SkippableFact]
    public void Repeated_unet_calls_on_cuda_see_each_calls_inputs()
    {
        // CUDA copies an input to the device when it is bound: the UNet must re-bind what it rewrote.
        Skip.IfNot(Usable.Value, NoCuda);
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cuda());
        var shape = model.LatentShapeFor(128, 128);
        var prompt = model.EncodePrompt("a cup of coffee");
        var first = new float[shape.Length];
        var second = new float[shape.Length];
        var sample = new float[shape.Length];
        new ReNoise.Engine.Tensors.SeededRandom(3).FillGaussian(sample);

        model.UNet.Predict(sample, shape, 999, [prompt], first);
        TensorPrimitives.Multiply(sample, 0.5f, sample);
        model.UNet.Predict(sample, shape, 499, [prompt], second);

        using var fresh = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cuda());
        var expected = new float[shape.Length];
        fresh.UNet.Predict(sample, shape, 499, [fresh.EncodePrompt("a cup of coffee")], expected);
        Assert.True(RelativeDifference(expected, second) < 1e-5);
        Assert.True(RelativeDifference(first, second) > 1e-2, "the second call returned the first call's output");
    }
}
