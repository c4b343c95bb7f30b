using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

/// <summary>Which published model a folder is, and the paper's preset for it.</summary>
public class ModelPresetTests
{
    [Theory]
    [InlineData("tiny-sd-turbo", ModelVariant.SdTurbo, "sd-turbo")]        // Euler ancestral, trailing spacing
    [InlineData("tiny-sd-external", ModelVariant.SdTurbo, "sd-turbo")]
    [InlineData("tiny-sd15-ddim", ModelVariant.Sd1, "sd")]
    [InlineData("tiny-sd21-vpred", ModelVariant.Sd2, "sd")]                // DDIM: trailing alone is no turbo sign
    [InlineData("tiny-sd-fp16", ModelVariant.Lcm, "lcm")]                  // LCM scheduler, plain UNet (as LCM-LoRA)
    [InlineData("tiny-lcm", ModelVariant.Lcm, "lcm")]                      // UNet with time_cond_proj_dim
    [InlineData("tiny-sdxl-turbo", ModelVariant.SdxlTurbo, "sdxl-turbo")]
    public void EachFixtureIsRecognised(string fixture, ModelVariant variant, string preset)
    {
        var folder = ModelFolder.Open(FixturePaths.Model(fixture));
        Assert.Equal(variant, folder.Variant);
        Assert.Equal(preset, ModelPreset.Resolve(null, folder).Name);
        Assert.Equal(preset, ModelPreset.Resolve("auto", folder).Name);
    }

    [Theory]
    [InlineData("stabilityai/stable-diffusion-xl-base-1.0", "EulerDiscreteScheduler", "leading", ModelVariant.Sdxl)]
    [InlineData("stabilityai/sdxl-turbo", "EulerAncestralDiscreteScheduler", "trailing", ModelVariant.SdxlTurbo)]
    [InlineData("", "EulerDiscreteScheduler", "trailing", ModelVariant.SdxlTurbo)]
    [InlineData("latent-consistency/lcm-sdxl", "LCMScheduler", "leading", ModelVariant.SdxlLcm)]
    [InlineData("", "LCMScheduler", "leading", ModelVariant.SdxlLcm)]
    public void SdxlFoldersAreToldApartByNameAndScheduler(string nameOrPath, string schedulerClass, string spacing, ModelVariant variant)
    {
        using var copy = new TempModelCopy("tiny-sdxl-turbo");
        Rewrite(copy.PathOf("model_index.json"), "\"_name_or_path\": \"stabilityai/sdxl-turbo\"", $"\"_name_or_path\": \"{nameOrPath}\"");
        Rewrite(copy.PathOf("scheduler", "scheduler_config.json"), "\"EulerAncestralDiscreteScheduler\"", $"\"{schedulerClass}\"");
        Rewrite(copy.PathOf("scheduler", "scheduler_config.json"), "\"trailing\"", $"\"{spacing}\"");

        Assert.Equal(variant, ModelFolder.Open(copy.Root).Variant);
    }

    [Theory]
    [InlineData("stabilityai/sd-turbo", "EulerDiscreteScheduler", "trailing", ModelVariant.SdTurbo)]
    [InlineData("runwayml/stable-diffusion-v1-5", "PNDMScheduler", "leading", ModelVariant.Sd1)]
    [InlineData("stabilityai/stable-diffusion-2-1", "DDIMScheduler", "leading", ModelVariant.Sd2)]
    [InlineData("SimianLuo/LCM_Dreamshaper_v7", "LCMScheduler", "leading", ModelVariant.Lcm)]
    public void SdFoldersAreToldApartByNameAndScheduler(string nameOrPath, string schedulerClass, string spacing, ModelVariant variant)
    {
        using var copy = new TempModelCopy("tiny-sd15-ddim");
        Rewrite(copy.PathOf("model_index.json"), "\"_class_name\"", $"\"_name_or_path\": \"{nameOrPath}\",\n  \"_class_name\"");
        Rewrite(copy.PathOf("scheduler", "scheduler_config.json"), "\"DDIMScheduler\"", $"\"{schedulerClass}\"");
        Rewrite(copy.PathOf("scheduler", "scheduler_config.json"), "\"leading\"", $"\"{spacing}\"");

        Assert.Equal(variant, ModelFolder.Open(copy.Root).Variant);
    }

    [Fact]
    public void ThePresetsCarryThePapersSettings()
    {
        var defaults = new ReNoise.Engine.Inversion.InversionParameters();
        foreach (var turbo in new[] { ModelPreset.SdxlTurbo, ModelPreset.SdTurbo })
        {
            Assert.Equal(SchedulerNames.EulerAncestral, turbo.Scheduler);
            Assert.Equal(defaults with { Scheduler = SchedulerNames.EulerAncestral }, turbo.Parameters);   // spec §2: 4 steps, R = 9, correction on, ...
            Assert.Equal(512, turbo.ImageSize);
        }

        Assert.Equal(SchedulerNames.Lcm, ModelPreset.Lcm.Scheduler);
        Assert.Equal(defaults with { Scheduler = SchedulerNames.Lcm, InversionSteps = 4, RenoiseSteps = 7 }, ModelPreset.Lcm.Parameters);
        Assert.Null(ModelPreset.Lcm.ImageSize);

        foreach (var ddim in new[] { ModelPreset.Sd, ModelPreset.Sdxl })
        {
            Assert.Equal(SchedulerNames.Ddim, ddim.Scheduler);
            Assert.Equal(defaults with { Scheduler = SchedulerNames.Ddim, InversionSteps = 50, RenoiseSteps = 1, NoiseCorrection = NoiseCorrectionMode.Off }, ddim.Parameters);
        }
        Assert.Equal(512, ModelPreset.Sd.ImageSize);
        Assert.Equal(1024, ModelPreset.Sdxl.ImageSize);

        Assert.Null(ModelPreset.None.Scheduler);
        Assert.Equal(defaults, ModelPreset.None.Parameters);
        Assert.Equal(["auto", "sdxl-turbo", "sd-turbo", "lcm", "sd", "sdxl", "none"], ModelPreset.Names);
    }

    [Fact]
    public void PresetsAreFoundByNameCaseInsensitivelyAndUnknownNamesAreBadInput()
    {
        var folder = ModelFolder.Open(FixturePaths.Model("tiny-sd-turbo"));
        Assert.Same(ModelPreset.Sdxl, ModelPreset.Resolve("SDXL", folder));
        Assert.Same(ModelPreset.None, ModelPreset.Resolve(" none ", folder));

        var e = Assert.Throws<ReNoiseInputException>(() => ModelPreset.Resolve("sd3", folder));
        Assert.Contains("\"sd3\"", e.Message);
        Assert.Contains("sdxl-turbo", e.Message);
    }

    [Fact]
    public void TheWorkingSizeIsThePresetsButNeverAboveAStatedNativeSize()
    {
        // Fixtures state sample_size 16 (128 px): they keep it under every preset.
        var fixture = ModelFolder.Open(FixturePaths.Model("tiny-sdxl-turbo"));
        Assert.All(ModelPreset.All, p => Assert.Equal(128, p.ImageSizeFor(fixture)));

        // SDXL-Turbo's UNet states sample_size 128 (1024 px), but the paper runs it at 512.
        using var copy = new TempModelCopy("tiny-sdxl-turbo");
        Rewrite(copy.PathOf("unet", "config.json"), "\"sample_size\": 16", "\"sample_size\": 128");
        var native = ModelFolder.Open(copy.Root);
        Assert.Equal(512, ModelPreset.SdxlTurbo.ImageSizeFor(native));
        Assert.Equal(1024, ModelPreset.Sdxl.ImageSizeFor(native));
        Assert.Equal(1024, ModelPreset.Lcm.ImageSizeFor(native));

        // No sample_size at all: the preset's size (the folder's own fallback is 512).
        File.Delete(copy.PathOf("unet", "config.json"));
        var silent = ModelFolder.Open(copy.Root);
        Assert.Equal(1024, ModelPreset.Sdxl.ImageSizeFor(silent));
        Assert.Equal(512, ModelPreset.SdxlTurbo.ImageSizeFor(silent));
        Assert.Equal(512, ModelPreset.None.ImageSizeFor(silent));
    }

    private static void Rewrite(string path, string from, string to)
    {
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to));
    }
}
