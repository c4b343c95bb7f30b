using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Inversion;

/// <summary>The inversion pipeline on real ONNX fixture models.</summary>
public sealed class PipelineFixtureTests
{
    private static RgbImage Photo(int size = 128) =>
        ImageLoader.Load(Path.Combine(TestPaths.Fixtures, "images", "coffee.png"), size, size);

    [Theory]
    [InlineData("tiny-sd-turbo", 4)]
    [InlineData("tiny-sd-fp16", 0)]
    public void With_exact_correction_each_forward_step_lands_on_the_previous_latent(string fixture, int regularizationSteps)
    {
        using var model = DiffusionModel.Load(Path.Combine(TestPaths.FixtureModels, fixture), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });
        var pipeline = new InversionPipeline(model);
        var options = new InversionParameters { NoiseCorrection = NoiseCorrectionMode.Exact, RegularizationSteps = regularizationSteps };
        var result = pipeline.Invert(new InversionRequest { Prompt = "a cup of coffee", Parameters = options }, Photo());

        var scheduler = result.Plan.Sampler;
        var eps = new GuidedNoisePredictor(scheduler, model.UNet, result.Inversion.Shape, model.EncodePrompt("a cup of coffee"), null, 1.0);
        var e = new float[result.Inversion.Shape.Length];
        var landed = new float[result.Inversion.Shape.Length];
        int checkedSteps = 0;
        var trajectory = result.Trajectory;
        for (int k = 0; k < result.Plan.InvertedTimesteps.Count; k++)
        {
            int index = scheduler.Timesteps.Count - 1 - k;
            if (!scheduler.StepUsesNoise(index)) continue;
            eps.Predict(trajectory[k + 1], index, e);
            scheduler.Step(trajectory[k + 1], e, result.Inversion.NoiseMaps[index - result.Inversion.StartIndex], index, landed);
            ReNoiseInverterTests.AssertClose(trajectory[k], landed, 1e-5);
            checkedSteps++;
        }
        Assert.Equal(3, checkedSteps);
    }

    [Fact]
    public void Reconstruction_and_metrics_come_from_denoising_the_inverted_latent()
    {
        using var model = DiffusionModel.Load(Path.Combine(TestPaths.FixtureModels, "tiny-sd-turbo"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });
        var pipeline = new InversionPipeline(model);
        var photo = Photo();
        var result = pipeline.Invert(new InversionRequest { Prompt = "a cup of coffee" }, photo);

        Assert.Equal(ImageMetrics.Psnr(photo, result.Reconstruction), result.Psnr);
        Assert.Equal(ImageMetrics.Ssim(photo, result.Reconstruction), result.Ssim);
        Assert.Equal(40, result.Nfe);
        Assert.Equal("euler-ancestral", result.Inversion.Scheduler);
        Assert.DoesNotContain(result.Warnings, w => !w.Contains("CUDA"));
    }
}
