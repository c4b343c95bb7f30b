using ReNoise.Engine.Inversion;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Regularization;

public class PatchKlLossTests
{
    private static float[] Target(LatentShape shape, int seed)
    {
        // Different scale and mean from e, so every tile has a sizeable k.
        float[] t = GradientCheck.Gaussian(shape, seed);
        for (int i = 0; i < t.Length; i++) t[i] = 0.7f * t[i] + 0.3f;
        return t;
    }

    [Theory]
    [InlineData(8, 8)]
    [InlineData(16, 16)]
    [InlineData(10, 14)] // not a multiple of 4: trailing rows/columns belong to no tile
    public void Gradient_matches_central_differences(int height, int width)
    {
        var shape = new LatentShape(4, height, width);
        float[] e = GradientCheck.Gaussian(shape, 11);
        float[] target = Target(shape, 12);
        var gradient = new float[shape.Length];

        double value = PatchKlLoss.Gradient(e, target, shape, gradient);
        double[] numeric = GradientCheck.CentralDifferences(e, x => PatchKlLoss.Value(x, target, shape), 1e-3);

        Assert.Equal(PatchKlLoss.Value(e, target, shape), value, 12);
        Assert.True(GradientCheck.Norm(numeric) > 1e-2);
        Assert.True(GradientCheck.RelativeError(gradient, numeric) < 1e-3,
            $"relative error {GradientCheck.RelativeError(gradient, numeric)}");
    }

    [Fact]
    public void Elements_outside_full_tiles_have_zero_gradient()
    {
        var shape = new LatentShape(4, 10, 14);
        float[] e = GradientCheck.Gaussian(shape, 3);
        float[] target = Target(shape, 4);
        var gradient = new float[shape.Length];
        gradient.AsSpan().Fill(float.NaN);

        PatchKlLoss.Gradient(e, target, shape, gradient);

        for (int c = 0; c < 4; c++)
            for (int y = 0; y < 10; y++)
                for (int x = 0; x < 14; x++)
                {
                    float g = gradient[(c * 10 + y) * 14 + x];
                    if (y >= 8 || x >= 12) Assert.Equal(0f, g);
                    else Assert.True(float.IsFinite(g) && g != 0f);
                }
    }

    [Theory]
    [InlineData(8, 8)]
    [InlineData(13, 9)]
    public void Value_equals_direct_per_patch_computation(int height, int width)
    {
        var shape = new LatentShape(4, height, width);
        float[] e = GradientCheck.Gaussian(shape, 21);
        float[] target = Target(shape, 22);

        double expected = 0;
        for (int ty = 0; ty + 4 <= height; ty += 4)
            for (int tx = 0; tx + 4 <= width; tx += 4)
                for (int c = 0; c < 4; c++)
                {
                    var p0 = new List<double>();
                    var p1 = new List<double>();
                    for (int y = ty; y < ty + 4; y++)
                        for (int x = tx; x < tx + 4; x++)
                        {
                            p0.Add(e[(c * height + y) * width + x]);
                            p1.Add(target[(c * height + y) * width + x]);
                        }
                    double m0 = p0.Average(), m1 = p1.Average();
                    double v0 = p0.Sum(v => (v - m0) * (v - m0)) / (p0.Count - 1);
                    double v1 = p1.Sum(v => (v - m1) * (v - m1)) / (p1.Count - 1);
                    double k = Math.Log((v1 + 1e-6) / (v0 + 1e-6)) + (v0 + (m0 - m1) * (m0 - m1)) / (v1 + 1e-6) - 1;
                    expected += Math.Abs(k);
                }

        Assert.Equal(expected, PatchKlLoss.Value(e, target, shape), 9);
    }

    [Fact]
    public void Value_of_a_hand_computed_single_tile()
    {
        // Every channel: e = 0..15, target = 2 * (0..15). m0 = 7.5, m1 = 15,
        // v0 = sum (i - 7.5)^2 / 15 = 340 / 15, v1 = 4 v0.
        var shape = new LatentShape(4, 4, 4);
        var e = new float[64];
        var target = new float[64];
        for (int i = 0; i < 64; i++)
        {
            e[i] = i % 16;
            target[i] = 2 * (i % 16);
        }
        double v0 = 340.0 / 15, v1 = 4 * v0;
        double k = Math.Log((v1 + 1e-6) / (v0 + 1e-6)) + (v0 + 7.5 * 7.5) / (v1 + 1e-6) - 1;

        Assert.Equal(4 * Math.Abs(k), PatchKlLoss.Value(e, target, shape), 10);
    }

    [Fact]
    public void Tensor_against_itself_has_near_zero_loss_and_zero_gradient()
    {
        var shape = new LatentShape(4, 16, 16);
        float[] e = GradientCheck.Gaussian(shape, 5);
        var gradient = new float[shape.Length];
        gradient.AsSpan().Fill(float.NaN);

        double value = PatchKlLoss.Gradient(e, e, shape, gradient);

        // Only the epsilons keep k from being exactly 0: |k| = eps / (v + eps) per tile.
        Assert.InRange(value, 0, 64 * 1e-4);
        Assert.All(gradient, g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Rejects_a_latent_without_four_channels()
    {
        var shape = new LatentShape(3, 8, 8);
        var e = new float[shape.Length];
        Assert.Throws<ArgumentException>(() => PatchKlLoss.Value(e, e, shape));
        Assert.Throws<ArgumentException>(() => PatchKlLoss.Gradient(e, e, shape, new float[shape.Length]));
    }

    [Fact]
    public void Rejects_mismatched_lengths()
    {
        var shape = new LatentShape(4, 8, 8);
        var e = new float[shape.Length];
        Assert.Throws<ArgumentException>(() => PatchKlLoss.Value(e, new float[10], shape));
        Assert.Throws<ArgumentException>(() => PatchKlLoss.Gradient(e, e, shape, new float[10]));
    }
}
