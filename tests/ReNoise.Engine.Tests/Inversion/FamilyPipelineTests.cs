using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tests.Models;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Inversion;

/// <summary>Family rules of the pipeline on the SDXL, LCM and float16 fixtures.</summary>
public sealed class FamilyPipelineTests
{
    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu };

    private static RgbImage Photo() => ImageLoader.Load(Path.Combine(TestPaths.Fixtures, "images", "coffee.png"), 128, 128);

    [Fact]
    public void SdxlKeepsTheTimestepsBelowRoundedStrengthAndSdKeepsTheLastIntNs()
    {
        // 4 trailing steps are 999, 749, 499, 249. Strength 0.2496: SDXL keeps t < round(249.6) = 250,
        // i.e. 249; SD keeps the last int(4 x 0.2496) = 0 steps, which is refused.
        var options = new InversionParameters { Strength = 0.2496, RenoiseSteps = 1, RegularizationSteps = 0 };
        using (var sdxl = DiffusionModel.Load(FixturePaths.Model("tiny-sdxl-turbo"), Cpu))
        {
            var result = new InversionPipeline(sdxl).Invert(new InversionRequest { Prompt = "a cup of coffee", Parameters = options }, Photo());
            Assert.Equal([249], result.Plan.InvertedTimesteps);
            Assert.Equal(3, result.Inversion.StartIndex);
        }
        using var sd = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cpu);
        var e = Assert.Throws<ReNoiseInputException>(() =>
            new InversionPipeline(sd).Invert(new InversionRequest { Prompt = "a cup of coffee", Parameters = options }, Photo()));
        var problem = Assert.Single(e.Problems);
        Assert.Equal(ParameterKey.Strength, problem.Key);
        Assert.Contains("inverts none of the 4 timesteps", problem.Message);
    }

    [Fact]
    public void TheKlTargetIsForwardNoisedForSdxlEvenWithDdim()
    {
        var config = SchedulerConfig.Load(Path.Combine(FixturePaths.Model("tiny-sd15-ddim"), "scheduler", "scheduler_config.json"));
        var ddim = SchedulerFactory.Create("ddim", config, 4);
        Assert.True(InversionPipeline.UsesForwardNoisedKlTarget(ModelFamily.Sdxl, ddim));
        Assert.False(InversionPipeline.UsesForwardNoisedKlTarget(ModelFamily.Sd1, ddim));
        Assert.False(InversionPipeline.UsesForwardNoisedKlTarget(ModelFamily.Sd2, ddim));
    }

    [Fact]
    public void Float16AndFloat32VariantsOfOneModelInvertAlike()
    {
        // tiny-sd-fp16 holds tiny-sd-turbo's weights in float16; given the same scheduler config the
        // two must produce the same inversion up to float16 rounding.
        using var copy = new TempModelCopy("tiny-sd-fp16");
        File.Copy(Path.Combine(FixturePaths.Model("tiny-sd-turbo"), "scheduler", "scheduler_config.json"),
            copy.PathOf("scheduler", "scheduler_config.json"), overwrite: true);
        var request = new InversionRequest { Prompt = "a cup of coffee" };

        InversionResult Run(string folder)
        {
            using var model = DiffusionModel.Load(folder, Cpu);
            return new InversionPipeline(model).Invert(request, Photo());
        }

        var fp32 = Run(FixturePaths.Model("tiny-sd-turbo"));
        var fp16 = Run(copy.Root);

        Assert.Equal(fp32.Nfe, fp16.Nfe);
        Close.Assert(fp32.CleanLatent, fp16.CleanLatent, 1e-2, "z0 fp16 vs fp32");
        for (var k = 1; k < fp32.Trajectory.Count; k++)
            Close.Assert(fp32.Trajectory[k], fp16.Trajectory[k], 1e-2, $"trajectory[{k}] fp16 vs fp32");
        Close.Assert(fp32.Reconstruction.Pixels.Select(p => (float)p).ToArray(), fp16.Reconstruction.Pixels.Select(p => (float)p).ToArray(),
            1e-2, "reconstruction fp16 vs fp32");
        Assert.Equal(fp32.Psnr, fp16.Psnr, 0.5);
    }

    [Fact]
    public void AnLcmInversionRecordsItsGuidanceScaleAndEditsWithIt()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-lcm"), Cpu);
        var pipeline = new InversionPipeline(model);
        // LCM latents grow with the fixture's small (Gaussian-prior) predictions: no regularization.
        var options = new InversionParameters { RenoiseSteps = 2, RegularizationSteps = 0 };

        var w3 = pipeline.Invert(new InversionRequest { Prompt = "a cup of coffee", Parameters = options with { Scheduler = "lcm", LcmGuidanceScale = 3 } }, Photo());
        var standard = pipeline.Invert(new InversionRequest { Prompt = "a cup of coffee", Parameters = options with { Scheduler = "lcm" } }, Photo());

        Assert.Equal(3, w3.Inversion.Parameters.LcmGuidanceScale);
        Assert.Equal(GuidanceScaleEmbedding.DefaultGuidanceScale, standard.Inversion.Parameters.LcmGuidanceScale);
        Assert.True(SdxlModelTests.RelativeDifference(standard.Inversion.Latent, w3.Inversion.Latent) > 1e-3);
        Assert.DoesNotContain(w3.Warnings, w => w.Contains("LCM guidance"));
    }

    [Fact]
    public void LcmGuidanceOnAModelWithoutTimestepCondIsAWarning()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cpu);
        var options = new InversionParameters { RenoiseSteps = 1, RegularizationSteps = 0 };
        var result = new InversionPipeline(model).Invert(new InversionRequest { Prompt = "a cup", Parameters = options with { LcmGuidanceScale = 4 } }, Photo());

        Assert.Null(result.Inversion.Parameters.LcmGuidanceScale);
        Assert.Contains(result.Warnings, w => w.StartsWith("the LCM guidance scale has no effect"));
    }
}
