using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

/// <summary>tiny-sd-external: text encoder and UNet keep their weights in model.onnx_data beside model.onnx.</summary>
public class ExternalDataModelTests
{
    private const string External = "tiny-sd-external";
    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1 };
    private static readonly LatentShape Latent = new(4, 16, 16);

    [Theory]
    [InlineData("text_encoder")]
    [InlineData("unet")]
    public void TheFixtureReallyKeepsItsWeightsOutsideTheGraph(string component)
    {
        var graph = new FileInfo(Path.Combine(FixturePaths.Model(External), component, "model.onnx"));
        var data = new FileInfo(Path.Combine(FixturePaths.Model(External), component, "model.onnx_data"));
        Assert.True(data.Exists);
        Assert.True(graph.Length < 16 * 1024 && data.Length > graph.Length, $"graph {graph.Length} B, data {data.Length} B");
    }

    [Fact]
    public void ItLoadsAndEncodesAndPredictsLikeTorch()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(External), Cpu);
        var hidden = TestNpy.ReadFloats(FixturePaths.Reference(External, "text_encoder_last_hidden_state.npy"));
        var samples = TestNpy.ReadFloats(FixturePaths.Reference(External, "unet_sample.npy"));
        var unetHidden = TestNpy.ReadFloats(FixturePaths.Reference(External, "unet_encoder_hidden_states.npy"));
        var timesteps = TestNpy.ReadLongs(FixturePaths.Reference(External, "unet_timestep.npy"));
        var expected = TestNpy.ReadFloats(FixturePaths.Reference(External, "unet_out_sample.npy"));

        Assert.Equal(ModelVariant.SdTurbo, model.Variant);
        Close.Assert(hidden.AsSpan(0, 77 * 32), model.EncodePrompt("a photo of an astronaut riding a horse").HiddenStates, 1e-4, "prompt embedding");

        PromptEmbeddings[] conditioning = [new(unetHidden[..(77 * 32)], 77, 32), new(unetHidden[(77 * 32)..], 77, 32)];
        var output = new float[samples.Length];
        model.UNet.Predict(samples, Latent, (int)timesteps[0], conditioning, output);
        Close.Assert(expected.AsSpan(0, Latent.Length), output.AsSpan(0, Latent.Length), 1e-4, "out_sample[0]");

        // Same weights as tiny-sd-turbo, stored inline there: identical predictions.
        using var inline = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cpu);
        var inlineOutput = new float[samples.Length];
        inline.UNet.Predict(samples, Latent, (int)timesteps[0], conditioning, inlineOutput);
        Assert.Equal(inlineOutput, output);
    }
}
