using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

public class DiffusionModelTests
{
    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1 };
    private const string AstronautPrompt = "a photo of an astronaut riding a horse";

    [Theory]
    [InlineData("tiny-sd-turbo", ModelFamily.Sd2)]
    [InlineData("tiny-sd15-ddim", ModelFamily.Sd1)]
    [InlineData("tiny-sd-fp16", ModelFamily.Sd2)]
    [InlineData("tiny-sd21-vpred", ModelFamily.Sd2)]
    public void LoadsEachFixtureAndEncodesPromptsLikeTorch(string variant, ModelFamily family)
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(variant), Cpu);

        Assert.Equal(family, model.Family);
        Assert.Equal(Path.GetFullPath(FixturePaths.Model(variant)), model.Folder);
        Assert.Equal(0.18215f, model.ScalingFactor);
        Assert.Equal(128, model.DefaultImageSize);
        Assert.Equal(4, model.LatentChannels);
        Assert.Equal(8, model.VaeScaleFactor);
        Assert.True(File.Exists(model.SchedulerConfigPath));
        Assert.Equal("CPUExecutionProvider", model.ExecutionProvider);
        Assert.Empty(model.Warnings);
        Assert.Single(model.PromptEncoders);

        var hidden = TestNpy.ReadFloats(FixturePaths.Reference(variant, "text_encoder_last_hidden_state.npy"));
        var tolerance = variant == "tiny-sd-fp16" ? 1e-2 : 1e-4;
        var prompt = model.EncodePrompt(AstronautPrompt);
        var empty = model.EncodePrompt("");

        Assert.False(prompt.Truncated);
        Assert.Equal((77, 32), (prompt.SequenceLength, prompt.HiddenSize));
        Close.Assert(hidden.AsSpan(0, 77 * 32), prompt.HiddenStates, tolerance, $"{variant} prompt embedding");
        Close.Assert(hidden.AsSpan(77 * 32), empty.HiddenStates, tolerance, $"{variant} empty-prompt embedding");
    }

    [Fact]
    public void TheFoldersTokenizerProducesTheReferenceIds()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd15-ddim"), Cpu);
        var ids = TestNpy.ReadLongs(FixturePaths.Reference("tiny-sd15-ddim", "text_encoder_input_ids.npy"));

        Assert.Equal(ids.Take(77).Select(v => (int)v), model.PromptEncoders[0].Tokenizer.Encode(AstronautPrompt).Ids);
        Assert.Equal(ids.Skip(77).Select(v => (int)v), model.PromptEncoders[0].Tokenizer.Encode("").Ids);
    }

    [Fact]
    public void AnOverlongPromptIsMarkedTruncated()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cpu);
        var longPrompt = string.Join(" ", Enumerable.Repeat(AstronautPrompt, 20));

        Assert.True(model.EncodePrompt(longPrompt).Truncated);
    }

    [Theory]
    [InlineData("tiny-sd-turbo")]
    [InlineData("tiny-sd15-ddim")]
    [InlineData("tiny-sd-fp16")]
    public void EncodeImageAndDecodeLatentMatchTorch(string variant)
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(variant), Cpu);
        var tolerance = variant == "tiny-sd-fp16" ? 1e-2 : 1e-4;
        var pixels = TestNpy.ReadFloats(FixturePaths.Reference(variant, "vae_encoder_sample.npy"));
        var mean = TestNpy.ReadFloats(FixturePaths.Reference(variant,
            variant == "tiny-sd15-ddim" ? "vae_encoder_latent_parameters.npy" : "vae_encoder_latent_sample.npy"));
        var decoded = TestNpy.ReadFloats(FixturePaths.Reference(variant, "vae_decoder_sample.npy"));
        var decoderInput = TestNpy.ReadFloats(FixturePaths.Reference(variant, "vae_decoder_latent_sample.npy"));

        var shape = model.LatentShapeFor(128, 128);
        var latent = model.EncodeImage(pixels, 128, 128);

        Assert.Equal(new LatentShape(4, 16, 16), shape);
        Close.Assert(mean.Take(shape.Length).Select(v => v * model.ScalingFactor).ToArray(), latent, tolerance, "scaled latent");
        var scaledDecoderInput = decoderInput.Select(v => v * model.ScalingFactor).ToArray();
        Close.Assert(decoded, model.DecodeLatent(scaledDecoderInput, shape), tolerance, "decoded pixels");
    }

    [Fact]
    public void ImageSizesThatAreNotMultiplesOfTheVaeFactorAreRefused()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cpu);
        var e = Assert.Throws<ReNoiseInputException>(() => model.EncodeImage(new float[3 * 100 * 128], 128, 100));
        Assert.Contains("128x100", e.Message);
        Assert.Contains("8", e.Message);
    }

    [Fact]
    public void UNetThroughTheModelMatchesTorch()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd21-vpred"), Cpu);
        var samples = TestNpy.ReadFloats(FixturePaths.Reference("tiny-sd21-vpred", "unet_sample.npy"));
        var expected = TestNpy.ReadFloats(FixturePaths.Reference("tiny-sd21-vpred", "unet_out_sample.npy"));
        var prompt = model.EncodePrompt(AstronautPrompt);
        var shape = model.LatentShapeFor(128, 128);
        var output = new float[samples.Length];

        model.UNet.Predict(samples, shape, 499, [prompt, prompt], output);

        // unet_encoder_hidden_states is the astronaut prompt's embedding twice; element 0 is at t=499.
        Close.Assert(expected.AsSpan(0, shape.Length), output.AsSpan(0, shape.Length), 1e-4, "v-prediction[0]");
    }

    [Fact]
    public void SessionsAreCreatedOnFirstUseSoABrokenUNetOnlyFailsWhenUsed()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        var unetPath = copy.PathOf("unet", "model.onnx");
        File.WriteAllText(unetPath, "not a model");

        using var model = DiffusionModel.Load(copy.Root, Cpu);
        Assert.Equal(TimeSpan.Zero, model.OrtTime);
        model.EncodePrompt(AstronautPrompt);
        Assert.True(model.OrtTime > TimeSpan.Zero);

        var e = Assert.Throws<ReNoiseInputException>(() => model.UNet);
        Assert.StartsWith($"{unetPath} is not a valid ONNX model (", e.Message);
        ModelFolderTests.AssertOneLine(e.Message);
    }

    [Fact]
    public void ConcurrentFirstUseCreatesOneUNet()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cpu);
        var seen = new INoisePredictor[4];
        Parallel.For(0, seen.Length, i => seen[i] = model.UNet);
        Assert.All(seen, unet => Assert.Same(seen[0], unet));
    }

    [Fact]
    public void MissingComponentFailsTheLoadNamingIt()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        File.Delete(copy.PathOf("vae_encoder", "model.onnx"));

        var e = Assert.Throws<ReNoiseInputException>(() => DiffusionModel.Load(copy.Root, Cpu));
        Assert.Contains(copy.PathOf("vae_encoder", "model.onnx"), e.Message);
        ModelFolderTests.AssertOneLine(e.Message);
    }

    [Fact]
    public void DisposedModelRefusesWork()
    {
        var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cpu);
        model.EncodePrompt("x");
        model.Dispose();
        model.Dispose();    // idempotent

        Assert.Throws<ObjectDisposedException>(() => model.EncodePrompt("x"));
        Assert.Throws<ObjectDisposedException>(() => model.UNet);
        Assert.Throws<ObjectDisposedException>(() => model.PromptEncoders[0].Encoder);
    }
}
