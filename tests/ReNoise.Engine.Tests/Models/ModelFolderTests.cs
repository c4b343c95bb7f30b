using ReNoise.Engine.Models;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

public class ModelFolderTests
{
    [Theory]
    [InlineData("tiny-sd-turbo", ModelFamily.Sd2)]
    [InlineData("tiny-sd15-ddim", ModelFamily.Sd1)]
    [InlineData("tiny-sd-fp16", ModelFamily.Sd2)]
    [InlineData("tiny-sd21-vpred", ModelFamily.Sd2)]
    public void EachFixtureOpensWithItsConfigValues(string name, ModelFamily family)
    {
        var folder = ModelFolder.Open(FixturePaths.Model(name));

        Assert.Equal(family, folder.Family);
        Assert.Equal(Path.GetFullPath(FixturePaths.Model(name)), folder.Root);
        Assert.Equal(0.18215f, folder.ScalingFactor);
        Assert.Equal(8, folder.VaeScaleFactor);         // four VAE blocks: 2^(4-1)
        Assert.Equal(16, folder.SampleSize);
        Assert.Equal(128, folder.DefaultImageSize);     // 16 latent cells x 8
        Assert.Equal(4, folder.LatentChannels);
        Assert.Single(folder.TextEncoders);
        Assert.True(File.Exists(folder.TextEncoders[0].TextEncoderPath));
        Assert.True(File.Exists(Path.Combine(folder.TextEncoders[0].TokenizerDirectory, "vocab.json")));
        Assert.EndsWith(Path.Combine("scheduler", "scheduler_config.json"), folder.SchedulerConfigPath);
        Assert.EndsWith(Path.Combine("unet", "model.onnx"), folder.UNetPath);
        Assert.NotNull(folder.ModelIndexPath);
        Assert.False(folder.ForceZerosForEmptyPrompt);
    }

    [Fact]
    public void MissingFolderIsReportedByPath()
    {
        var path = Path.Combine(Path.GetTempPath(), "renoise-no-such-model-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<ReNoiseInputException>(() => ModelFolder.Open(path));
        Assert.Contains(path, e.Message);
        AssertOneLine(e.Message);
    }

    [Theory]
    [InlineData("scheduler", "scheduler_config.json")]
    [InlineData("tokenizer", "vocab.json")]
    [InlineData("tokenizer", "merges.txt")]
    [InlineData("tokenizer", "special_tokens_map.json")]
    [InlineData("text_encoder", "model.onnx")]
    [InlineData("unet", "model.onnx")]
    [InlineData("vae_encoder", "model.onnx")]
    [InlineData("vae_decoder", "model.onnx")]
    public void EachMissingComponentIsNamedInTheMessage(string component, string file)
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        var missing = copy.PathOf(component, file);
        File.Delete(missing);

        var e = Assert.Throws<ReNoiseInputException>(() => ModelFolder.Open(copy.Root));
        Assert.Contains(missing, e.Message);
        AssertOneLine(e.Message);
    }

    [Fact]
    public void AMissingComponentFolderNamesTheFileExpectedInIt()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        Directory.Delete(copy.PathOf("vae_decoder"), recursive: true);

        var e = Assert.Throws<ReNoiseInputException>(() => ModelFolder.Open(copy.Root));
        Assert.Contains(copy.PathOf("vae_decoder", "model.onnx"), e.Message);
    }

    [Fact]
    public void ModelIndexIsOptional()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        File.Delete(copy.PathOf("model_index.json"));

        var folder = ModelFolder.Open(copy.Root);
        Assert.Null(folder.ModelIndexPath);
        Assert.Equal(ModelFamily.Sd2, folder.Family);
    }

    [Fact]
    public void ConfigsAbsentGiveTheSdDefaults()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        File.Delete(copy.PathOf("unet", "config.json"));
        File.Delete(copy.PathOf("vae_decoder", "config.json"));
        File.Delete(copy.PathOf("vae_encoder", "config.json"));

        var folder = ModelFolder.Open(copy.Root);
        Assert.Null(folder.SampleSize);
        Assert.Equal(512, folder.DefaultImageSize);
        Assert.Equal(ModelFolder.DefaultScalingFactor, folder.ScalingFactor);
        Assert.Equal(8, folder.VaeScaleFactor);
    }

    [Fact]
    public void VaeConfigValuesAreReadFromTheFile()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        File.WriteAllText(copy.PathOf("vae_decoder", "config.json"),
            """{ "scaling_factor": 0.13025, "block_out_channels": [8, 8, 8], "latent_channels": 4 }""");

        var folder = ModelFolder.Open(copy.Root);
        Assert.Equal(0.13025f, folder.ScalingFactor);
        Assert.Equal(4, folder.VaeScaleFactor);
        Assert.Equal(64, folder.DefaultImageSize);       // sample_size 16 x 4
    }

    [Fact]
    public void MalformedConfigIsReportedByPath()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        var config = copy.PathOf("unet", "config.json");
        File.WriteAllText(config, "{ \"sample_size\": ");

        var e = Assert.Throws<ReNoiseInputException>(() => ModelFolder.Open(copy.Root));
        Assert.StartsWith($"{config} is not valid JSON", e.Message);
        AssertOneLine(e.Message);
    }

    [Theory]
    [InlineData("stabilityai/sd-turbo", ModelFamily.Sd2)]
    [InlineData("stabilityai/stable-diffusion-2-1-base", ModelFamily.Sd2)]
    [InlineData("runwayml/stable-diffusion-v1-5", ModelFamily.Sd1)]
    public void NameOrPathHintDecidesTheFamilyBeforeThePadToken(string nameOrPath, ModelFamily family)
    {
        // tiny-sd15-ddim pads with <|endoftext|> (SD 1.x style), so only the name can make it SD 2.x.
        using var copy = new TempModelCopy("tiny-sd15-ddim");
        var index = File.ReadAllText(copy.PathOf("model_index.json"));
        File.WriteAllText(copy.PathOf("model_index.json"),
            index.Replace("\"_class_name\"", $"\"_name_or_path\": \"{nameOrPath}\",\n  \"_class_name\""));

        var folder = ModelFolder.Open(copy.Root);
        Assert.Equal(nameOrPath, folder.NameOrPath);
        Assert.Equal(family, folder.Family);
    }

    [Fact]
    public void WithoutAnyHintTheFamilyIsUnknownSd()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        File.WriteAllText(copy.PathOf("tokenizer", "special_tokens_map.json"),
            """{ "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>" }""");
        File.Delete(copy.PathOf("tokenizer", "tokenizer_config.json"));

        Assert.Equal(ModelFamily.UnknownSd, ModelFolder.Open(copy.Root).Family);
    }

    [Fact]
    public void SecondTextEncoderMakesItSdxlWithTwoEncoderPairs()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        CopyDirectory(copy.PathOf("tokenizer"), copy.PathOf("tokenizer_2"));
        CopyDirectory(copy.PathOf("text_encoder"), copy.PathOf("text_encoder_2"));

        var folder = ModelFolder.Open(copy.Root);
        Assert.Equal(ModelFamily.Sdxl, folder.Family);
        Assert.Equal(2, folder.TextEncoders.Count);
        Assert.Equal(copy.PathOf("tokenizer_2"), folder.TextEncoders[1].TokenizerDirectory);
        Assert.Equal(copy.PathOf("text_encoder_2", "model.onnx"), folder.TextEncoders[1].TextEncoderPath);
        Assert.True(folder.ForceZerosForEmptyPrompt);   // SDXL's default when model_index.json is silent
    }

    [Fact]
    public void SdxlWithoutItsSecondEncoderNamesTheMissingFile()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        CopyDirectory(copy.PathOf("tokenizer"), copy.PathOf("tokenizer_2"));

        var e = Assert.Throws<ReNoiseInputException>(() => ModelFolder.Open(copy.Root));
        Assert.Contains(copy.PathOf("text_encoder_2", "model.onnx"), e.Message);
    }

    internal static void AssertOneLine(string message)
    {
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
    }
}
