using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

/// <summary>LCM-distilled UNets (tiny-lcm): the guidance-scale embedding and the timestep_cond input.</summary>
public class LcmModelTests
{
    private const string Lcm = "tiny-lcm";
    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1 };
    private static readonly LatentShape Latent = new(4, 16, 16);

    [Fact]
    public void GuidanceEmbeddingMatchesDiffusersForW8Point5()
    {
        var reference = TestNpy.ReadFloats(FixturePaths.Reference(Lcm, "guidance_embedding_w8.5.npy"));

        var embedding = GuidanceScaleEmbedding.ForGuidanceScale(8.5, 16);

        // diffusers computes in float32 (w * 1000 = 7500 rounds the arguments); ours is float64, off by ~1e-4.
        Assert.Equal(16, reference.Length);
        for (var i = 0; i < 16; i++) Assert.True(Math.Abs(reference[i] - embedding[i]) < 1e-3, $"element {i}: {embedding[i]} vs {reference[i]}");
    }

    [Fact]
    public void GuidanceEmbeddingHasTheClosedForm()
    {
        // dim 16: half = 8 frequencies 10000^(-k/7), sin block then cos block, of 1000 (w - 1).
        var embedding = GuidanceScaleEmbedding.ForGuidanceScale(8.5, 16);
        for (var k = 0; k < 8; k++)
        {
            var argument = 7500.0 * Math.Pow(10000.0, -k / 7.0);
            Assert.Equal(Math.Sin(argument), embedding[k], 5);
            Assert.Equal(Math.Cos(argument), embedding[8 + k], 5);
        }
        // The lowest frequency is exactly 1e-4: sin(0.75), cos(0.75).
        Assert.Equal(Math.Sin(0.75), embedding[7], 6);
        Assert.Equal(Math.Cos(0.75), embedding[15], 6);
    }

    [Fact]
    public void GuidanceScaleOneEmbedsZeroAndOddWidthsArePadded()
    {
        Assert.Equal([0f, 0f, 0f, 1f, 1f, 1f], GuidanceScaleEmbedding.ForGuidanceScale(1.0, 6));

        var odd = GuidanceScaleEmbedding.ForGuidanceScale(3.0, 5);   // half = 2: frequencies 1 and 1e-4 of 2000
        Assert.Equal(Math.Sin(2000.0), odd[0], 6);
        Assert.Equal(Math.Sin(0.2), odd[1], 6);
        Assert.Equal(Math.Cos(2000.0), odd[2], 6);
        Assert.Equal(Math.Cos(0.2), odd[3], 6);
        Assert.Equal(0f, odd[4]);
    }

    [Fact]
    public void TheLcmUNetTakesTimestepCondAndMatchesTorchAtW8Point5()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(Lcm), Cpu);
        Assert.Equal(ModelVariant.Lcm, model.Variant);
        Assert.Equal(16, model.Layout.TimeCondProjDim);
        Assert.True(model.UsesGuidanceEmbedding);
        Assert.Equal(16, model.UNet.TimeCondProjDim);

        var samples = TestNpy.ReadFloats(FixturePaths.Reference(Lcm, "unet_sample.npy"));
        var hidden = TestNpy.ReadFloats(FixturePaths.Reference(Lcm, "unet_encoder_hidden_states.npy"));
        var timesteps = TestNpy.ReadLongs(FixturePaths.Reference(Lcm, "unet_timestep.npy"));
        var expected = TestNpy.ReadFloats(FixturePaths.Reference(Lcm, "unet_out_sample.npy"));
        PromptEmbeddings[] conditioning = [new(hidden[..(77 * 32)], 77, 32), new(hidden[(77 * 32)..], 77, 32)];

        var predictor = model.NoisePredictor(8.5);
        var conditioned = Assert.IsType<GuidanceConditionedUNet>(predictor);
        Assert.Equal(8.5, conditioned.GuidanceScale);
        var output = new float[samples.Length];
        for (var row = 0; row < 2; row++)
        {
            predictor.Predict(samples, Latent, (int)timesteps[row], conditioning, output);
            Close.Assert(expected.AsSpan(row * Latent.Length, Latent.Length), output.AsSpan(row * Latent.Length, Latent.Length),
                2e-4, $"out_sample[{row}] at t={timesteps[row]}");
        }

        // Another w changes the prediction (the fixture measures ~5 % for w = 1 vs 8.5).
        var other = new float[samples.Length];
        model.NoisePredictor(1.0).Predict(samples, Latent, (int)timesteps[0], conditioning, other);
        model.NoisePredictor(null).Predict(samples, Latent, (int)timesteps[0], conditioning, output);
        Assert.True(SdxlModelTests.RelativeDifference(output.AsSpan(0, Latent.Length), other.AsSpan(0, Latent.Length)) > 0.01);
        Close.Assert(expected.AsSpan(0, Latent.Length), output.AsSpan(0, Latent.Length), 2e-4, "default w is 8.5");
    }

    [Fact]
    public void UNetsWithoutTimestepCondAreReturnedAsTheyAre()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Cpu);
        Assert.False(model.UsesGuidanceEmbedding);
        Assert.Same(model.UNet, model.NoisePredictor(3.0));
    }
}
