using System.Numerics.Tensors;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Regularization;

/// <summary>
/// The optimized losses and regularizer (restructured loops, float pyramid, vectorized tiles) give
/// the results of the straightforward first implementation to float rounding.
/// </summary>
public class StraightforwardRegularizationTests
{
    /// <summary>Largest |a - b| over the largest |b|: float rounding is ~6e-8.</summary>
    private static double RelativeMaxError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        double diff = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return diff / scale;
    }

    [Theory]
    [InlineData(4, 64, 64, 0f)]
    [InlineData(4, 64, 64, 0.5f)]
    [InlineData(4, 36, 22, 0f)]
    [InlineData(2, 17, 5, 0.2f)]
    [InlineData(4, 128, 96, 0f)]
    [InlineData(1, 9, 9, 0f)]
    public void Pairwise_correlation_matches_the_straightforward_version(int channels, int height, int width, float offset)
    {
        var shape = new LatentShape(channels, height, width);
        float[] e = GradientCheck.Gaussian(shape, 61, offset);
        var shifts = new int[PairwiseCorrelationLoss.ShiftCount(shape)];
        PairwiseCorrelationLoss.DrawShifts(shape, new SeededRandom(62), shifts);
        var gradient = new float[shape.Length];
        var expectedGradient = new float[shape.Length];

        double value = PairwiseCorrelationLoss.Gradient(e, shape, shifts, gradient, new float[PairwiseCorrelationLoss.ScratchLength(shape)]);
        double expected = StraightforwardPairwiseCorrelationLoss.Gradient(e, shape, shifts, expectedGradient);

        Assert.True(Math.Abs(value - expected) <= 1e-6 * expected, $"value {value} vs {expected}");
        Assert.Equal(expected, PairwiseCorrelationLoss.Value(e, shape, shifts), 1e-6 * expected);
        double error = RelativeMaxError(gradient, expectedGradient);
        Assert.True(error < 1e-6, $"gradient relative error {error}");
    }

    [Fact]
    public void Pairwise_correlation_matches_for_zero_wrapping_and_negative_shifts()
    {
        var shape = new LatentShape(2, 16, 12);
        int[] shifts = [0, 7, 13, -3];
        float[] e = GradientCheck.Gaussian(shape, 63, 0.3f);
        var gradient = new float[shape.Length];
        var expectedGradient = new float[shape.Length];

        double value = PairwiseCorrelationLoss.Gradient(e, shape, shifts, gradient, new float[PairwiseCorrelationLoss.ScratchLength(shape)]);
        double expected = StraightforwardPairwiseCorrelationLoss.Gradient(e, shape, shifts, expectedGradient);

        Assert.True(Math.Abs(value - expected) <= 1e-6 * expected, $"value {value} vs {expected}");
        double error = RelativeMaxError(gradient, expectedGradient);
        Assert.True(error < 1e-6, $"gradient relative error {error}");
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(13, 9)]
    [InlineData(16, 20)]
    public void Patch_kl_matches_the_straightforward_version(int height, int width)
    {
        var shape = new LatentShape(4, height, width);
        float[] e = GradientCheck.Gaussian(shape, 71);
        float[] target = GradientCheck.Gaussian(shape, 72, 0.3f);
        for (int i = 0; i < target.Length; i++) target[i] *= 0.7f;
        var gradient = new float[shape.Length];
        var expectedGradient = new float[shape.Length];

        double value = PatchKlLoss.Gradient(e, target, shape, gradient);
        double expected = StraightforwardPatchKlLoss.Gradient(e, target, shape, expectedGradient);

        Assert.Equal(expected, value, 1e-9 * expected);
        Assert.Equal(expected, PatchKlLoss.Value(e, target, shape), 1e-9 * expected);
        double error = RelativeMaxError(gradient, expectedGradient);
        Assert.True(error < 1e-6, $"gradient relative error {error}");
    }

    [Fact]
    public void Regularize_at_the_defaults_matches_the_straightforward_procedure()
    {
        // The regularizer as first written (spec §8), on the straightforward losses, in float.
        var shape = new LatentShape(4, 64, 64);
        var options = RegularizationOptions.Default;
        float[] input = GradientCheck.Gaussian(shape, 81);
        float[] eOpt = GradientCheck.Gaussian(shape, 82);

        float[] actual = (float[])input.Clone();
        new NoiseRegularizer(options, shape, new SeededRandom(83)).Regularize(actual, eOpt);

        float[] expected = (float[])input.Clone();
        var random = new SeededRandom(83);
        var gradient = new float[shape.Length];
        var shifts = new int[PairwiseCorrelationLoss.ShiftCount(shape)];
        for (int step = 0; step < options.Steps; step++)
        {
            StraightforwardPatchKlLoss.Gradient(expected, eOpt, shape, gradient);
            TensorPrimitives.Clamp(gradient, -NoiseRegularizer.ClipLimit, NoiseRegularizer.ClipLimit, gradient);
            TensorPrimitives.MultiplyAdd(gradient, -(float)options.LambdaKl, expected, expected);
            for (int roll = 0; roll < options.AcRolls; roll++)
            {
                PairwiseCorrelationLoss.DrawShifts(shape, random, shifts);
                StraightforwardPairwiseCorrelationLoss.Gradient(expected, shape, shifts, gradient);
                TensorPrimitives.MultiplyAdd(gradient, -(float)(options.LambdaAc / options.AcRolls), expected, expected);
            }
        }

        double maxChange = 0, maxDiff = 0;
        for (int i = 0; i < input.Length; i++)
        {
            maxChange = Math.Max(maxChange, Math.Abs(expected[i] - input[i]));
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
        }
        Assert.True(maxChange > 1e-2, $"the procedure should move e, moved {maxChange}");
        // |e| is a few units; float rounding of such values is ~5e-7.
        Assert.True(maxDiff < 2e-6, $"max difference {maxDiff} (change {maxChange})");
    }
}
