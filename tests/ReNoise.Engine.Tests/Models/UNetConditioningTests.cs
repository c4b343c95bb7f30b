using Microsoft.ML.OnnxRuntime.Tensors;
using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

/// <summary>
/// What the UNet feeds as text_embeds, time_ids and timestep_cond, read back through a probe model
/// (Data/unet-conditioning-probe.onnx) whose output channels are the values it was given.
/// </summary>
public class UNetConditioningTests
{
    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1 };

    private static UNet Probe(int vaeScaleFactor = 8) =>
        new(OnnxSession.Open(FixturePaths.TestData("unet-conditioning-probe.onnx"), Cpu), vaeScaleFactor);

    private static PromptEmbeddings Prompt(float pooledFirst) =>
        new(new float[77 * 8], 77, 8, [pooledFirst, 9, 9, 9, 9, 9]);

    /// <summary>Channel c of batch element b (constant over the latent's pixels; checked).</summary>
    private static float Fed(float[] output, LatentShape shape, int b, int c)
    {
        var plane = output.AsSpan(b * shape.Length + c * shape.Height * shape.Width, shape.Height * shape.Width);
        foreach (var v in plane) Assert.Equal(plane[0], v);
        return plane[0];
    }

    [Fact]
    public void TimeIdsAreTheImageSizeOfTheLatentInTheDeclaredFloat16()
    {
        using var unet = Probe();
        Assert.Equal(TensorElementType.Float16, unet.TimeIdsInput!.ElementType);
        var shape = new LatentShape(8, 8, 12);   // a 96 wide, 64 high image
        var output = new float[2 * shape.Length];

        unet.Predict(new float[2 * shape.Length], shape, 499, [Prompt(1), Prompt(2)], output);

        for (var b = 0; b < 2; b++)
            Assert.Equal([64f, 96f, 0f, 0f, 64f, 96f], Enumerable.Range(0, 6).Select(c => Fed(output, shape, b, c)));
    }

    [Fact]
    public void TimeIdsFollowTheVaeScaleFactorAndALatentSizeChange()
    {
        using var unet = Probe(vaeScaleFactor: 4);
        var small = new LatentShape(8, 4, 6);
        var large = new LatentShape(8, 10, 10);
        var outSmall = new float[small.Length];
        var outLarge = new float[large.Length];

        unet.Predict(new float[small.Length], small, 1, [Prompt(0)], outSmall);
        unet.Predict(new float[large.Length], large, 1, [Prompt(0)], outLarge);

        Assert.Equal((16f, 24f), (Fed(outSmall, small, 0, 0), Fed(outSmall, small, 0, 1)));
        Assert.Equal((40f, 40f), (Fed(outLarge, large, 0, 4), Fed(outLarge, large, 0, 5)));
    }

    [Fact]
    public void EachBatchElementGetsItsOwnPooledEmbedding()
    {
        using var unet = Probe();
        var shape = new LatentShape(8, 2, 2);
        var output = new float[3 * shape.Length];

        unet.Predict(new float[3 * shape.Length], shape, 7, [Prompt(-1.5f), Prompt(0.25f), Prompt(3f)], output);

        Assert.Equal([-1.5f, 0.25f, 3f], Enumerable.Range(0, 3).Select(b => Fed(output, shape, b, 6)));
    }

    [Fact]
    public void TimestepCondIsTheGuidanceEmbeddingOfWMinusOne()
    {
        using var unet = Probe();
        Assert.True(unet.UsesGuidanceEmbedding);
        Assert.Equal(4, unet.TimeCondProjDim);
        var shape = new LatentShape(8, 2, 2);
        var output = new float[2 * shape.Length];

        // Element 0 of the 4-wide embedding is sin(1000 (w - 1)) (frequency exp(0) = 1).
        unet.Predict(new float[2 * shape.Length], shape, 7, [Prompt(0), Prompt(0)], output);
        Assert.Equal((float)Math.Sin(7500.0), Fed(output, shape, 0, 7), 6);   // the plain UNet: diffusers' default w = 8.5
        Assert.Equal((float)Math.Sin(7500.0), Fed(output, shape, 1, 7), 6);

        var conditioned = unet.WithGuidanceScale(4.0);
        conditioned.Predict(new float[2 * shape.Length], shape, 7, [Prompt(0), Prompt(0)], output);
        Assert.Equal((float)Math.Sin(3000.0), Fed(output, shape, 0, 7), 6);
        Assert.Equal((float)Math.Sin(3000.0), Fed(output, shape, 1, 7), 6);
    }
}
