using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tests.Models;

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
        var options = new ReNoiseOptions { Strength = 0.2496, RenoiseSteps = 1, RegularizationSteps = 0 };
        using (var sdxl = DiffusionModel.Load(FixturePaths.Model("tiny-sdxl-turbo"), Cpu))
        {
            var result = new InversionPipeline(sdxl).Invert(new InversionRequest { Image = Photo(), Prompt = "a cup of coffee", Options = options });
            Assert.Equal([249], result.Trace.InvertedTimesteps);
            Assert.Equal(3, result.StartIndex);
        }
        using var sd = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cpu);
        var e = Assert.Throws<ReNoiseInputException>(() =>
            new InversionPipeline(sd).Invert(new InversionRequest { Image = Photo(), Prompt = "a cup of coffee", Options = options }));
        Assert.Contains("--strength", e.Message);
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
        var request = new InversionRequest { Image = Photo(), Prompt = "a cup of coffee" };

        InversionResult Run(string folder)
        {
            using var model = DiffusionModel.Load(folder, Cpu);
            return new InversionPipeline(model).Invert(request);
        }

        var fp32 = Run(FixturePaths.Model("tiny-sd-turbo"));
        var fp16 = Run(copy.Root);

        Assert.Equal(fp32.Trace.Nfe, fp16.Trace.Nfe);
        Close.Assert(fp32.CleanLatent, fp16.CleanLatent, 1e-2, "z0 fp16 vs fp32");
        for (var k = 1; k < fp32.Trace.Trajectory.Count; k++)
            Close.Assert(fp32.Trace.Trajectory[k], fp16.Trace.Trajectory[k], 1e-2, $"trajectory[{k}] fp16 vs fp32");
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
        var options = new ReNoiseOptions { RenoiseSteps = 2, RegularizationSteps = 0 };

        var w3 = pipeline.Invert(new InversionRequest { Image = Photo(), Prompt = "a cup of coffee", Options = options, Scheduler = "lcm", LcmGuidanceScale = 3 });
        var standard = pipeline.Invert(new InversionRequest { Image = Photo(), Prompt = "a cup of coffee", Options = options, Scheduler = "lcm" });

        Assert.Equal(3, w3.LcmGuidanceScale);
        Assert.Equal(GuidanceScaleEmbedding.DefaultGuidanceScale, standard.LcmGuidanceScale);
        Assert.True(SdxlModelTests.RelativeDifference(standard.Trace.Latent, w3.Trace.Latent) > 1e-3);
        Assert.DoesNotContain(w3.Warnings, w => w.Contains("lcm-guidance"));
    }

    [Fact]
    public void LcmGuidanceOnAModelWithoutTimestepCondIsAWarning()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cpu);
        var options = new ReNoiseOptions { RenoiseSteps = 1, RegularizationSteps = 0 };
        var result = new InversionPipeline(model).Invert(new InversionRequest { Image = Photo(), Prompt = "a cup", Options = options, LcmGuidanceScale = 4 });

        Assert.Null(result.LcmGuidanceScale);
        Assert.Contains(result.Warnings, w => w.StartsWith("--lcm-guidance has no effect"));
    }
}
