using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

/// <summary>
/// tiny-sd-turbo-standin (tools/fixtures/make_standin_unet.py): tiny-sd-turbo's closed-form UNet plus an
/// SD 2.1-shaped branch (4/8/16/16 channels) that the graph selects away, so it must predict exactly what
/// tiny-sd-turbo predicts while ONNX Runtime still runs the branch.
/// </summary>
public sealed class StandinUNetTests
{
    [Theory]
    [InlineData(999, 16, 16)]
    [InlineData(1, 8, 12)]
    public void TheStandinPredictsWhatTinySdTurboPredicts(int timestep, int height, int width)
    {
        using var standin = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo-standin"));
        using var tiny = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"));
        var shape = new LatentShape(4, height, width);
        var rng = new Random(12);
        float Normal() => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        var samples = Enumerable.Range(0, 2 * shape.Length).Select(_ => Normal()).ToArray();
        PromptEmbeddings[] conditioning =
        [
            new(Enumerable.Range(0, 77 * 32).Select(_ => Normal()).ToArray(), 77, 32),
            new(Enumerable.Range(0, 77 * 32).Select(_ => Normal()).ToArray(), 77, 32),
        ];

        var expected = new float[samples.Length];
        var actual = new float[samples.Length];
        tiny.UNet.Predict(samples, shape, timestep, conditioning, expected);
        standin.UNet.Predict(samples, shape, timestep, conditioning, actual);

        // The branch is added as an exact zero: on the CPU the outputs are bit for bit the same.
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-5f, $"max |standin - tiny-sd-turbo| = {worst}");
        Assert.All(actual, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(expected, v => Math.Abs(v) > 0.1f);
    }
}
