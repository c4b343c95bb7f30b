using ReNoise.Engine.Inversion;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Regularization;

public class PairwiseCorrelationLossTests
{
    [Theory]
    [InlineData(8, 8, 1)]
    [InlineData(4, 4, 1)]
    [InlineData(9, 9, 2)]
    [InlineData(12, 10, 2)]
    [InlineData(16, 16, 2)]
    [InlineData(17, 5, 2)]
    [InlineData(36, 22, 4)]
    [InlineData(64, 64, 4)]
    [InlineData(128, 128, 5)]
    public void Levels_stop_at_the_first_map_with_at_most_eight_rows(int height, int width, int levels)
        => Assert.Equal(levels, PairwiseCorrelationLoss.Levels(height, width));

    [Fact]
    public void Levels_rejects_maps_that_pool_away()
    {
        Assert.Throws<ArgumentException>(() => PairwiseCorrelationLoss.Levels(1, 8));
        Assert.Throws<ArgumentException>(() => PairwiseCorrelationLoss.Levels(64, 3)); // 3 -> 1 -> 0 columns
    }

    [Theory]
    [InlineData(8, 8, 0)]
    [InlineData(16, 16, 0)]
    [InlineData(12, 10, 0)]
    [InlineData(36, 22, 0)]
    [InlineData(16, 16, 0.4f)] // a mean offset makes the correlations, and so the gradient, large
    [InlineData(12, 10, 0.4f)]
    public void Gradient_matches_central_differences(int height, int width, float offset)
    {
        var shape = new LatentShape(4, height, width);
        float[] e = GradientCheck.Gaussian(shape, 31, offset);
        var shifts = new int[PairwiseCorrelationLoss.ShiftCount(shape)];
        PairwiseCorrelationLoss.DrawShifts(shape, new SeededRandom(32), shifts);
        var gradient = new float[shape.Length];
        var scratch = new float[PairwiseCorrelationLoss.ScratchLength(shape)];

        double value = PairwiseCorrelationLoss.Gradient(e, shape, shifts, gradient, scratch);
        double[] numeric = GradientCheck.CentralDifferences(
            e, x => PairwiseCorrelationLoss.Value(x, shape, shifts, scratch), 1e-2);

        Assert.Equal(PairwiseCorrelationLoss.Value(e, shape, shifts), value, 12);
        Assert.True(GradientCheck.Norm(numeric) > 1e-6);
        Assert.True(GradientCheck.RelativeError(gradient, numeric) < 1e-3,
            $"relative error {GradientCheck.RelativeError(gradient, numeric)}");
    }

    [Fact]
    public void Gradient_matches_central_differences_for_zero_and_wrapping_shifts()
    {
        // 16x12 -> 8x6: shift 0 (x * x), shifts past the column count (wrap modulo), a negative one.
        var shape = new LatentShape(2, 16, 12);
        int[] shifts = [0, 7, 13, -3];
        float[] e = GradientCheck.Gaussian(shape, 41, 0.2f);
        var gradient = new float[shape.Length];
        var scratch = new float[PairwiseCorrelationLoss.ScratchLength(shape)];

        PairwiseCorrelationLoss.Gradient(e, shape, shifts, gradient, scratch);
        double[] numeric = GradientCheck.CentralDifferences(
            e, x => PairwiseCorrelationLoss.Value(x, shape, shifts, scratch), 1e-2);

        Assert.True(GradientCheck.RelativeError(gradient, numeric) < 1e-3,
            $"relative error {GradientCheck.RelativeError(gradient, numeric)}");
    }

    [Theory]
    [InlineData(8, 8)]
    [InlineData(36, 22)]
    public void Constant_map_gives_two_a_to_the_fourth_per_channel_and_level(int height, int width)
    {
        // Every level of a constant map is the same constant a, and any roll of it too:
        // each level adds (a^2)^2 + (a^2)^2.
        var shape = new LatentShape(4, height, width);
        const float a = 1.5f;
        var e = Enumerable.Repeat(a, shape.Length).ToArray();
        int levels = PairwiseCorrelationLoss.Levels(height, width);
        var shifts = new int[4 * levels];
        PairwiseCorrelationLoss.DrawShifts(shape, new SeededRandom(1), shifts);

        Assert.Equal(4 * levels * 2 * Math.Pow(a, 4), PairwiseCorrelationLoss.Value(e, shape, shifts), 10);

        // Only level 0 with shift 0 has a closed-form per-element gradient this simple: 8 a^3 / N.
        var gradient = new float[shape.Length];
        var single = new LatentShape(1, 8, 8);
        PairwiseCorrelationLoss.Gradient(e.AsSpan(0, 64), single, [0], gradient.AsSpan(0, 64),
            new float[PairwiseCorrelationLoss.ScratchLength(single)]);
        Assert.All(gradient.Take(64), g => Assert.Equal(8 * a * a * a / 64, g, 6));
    }

    [Fact]
    public void Hand_computed_row_ramp_with_shift_one()
    {
        // x[i, j] = i + 1 on 4x4. Rows rolled by 1: sum_i x_i x_{i-1} = 1*4 + 2*1 + 3*2 + 4*3 = 24
        // per column, mean 96 / 16 = 6. Columns rolled: x * x, mean (1 + 4 + 9 + 16) * 4 / 16 = 7.5.
        var shape = new LatentShape(1, 4, 4);
        var e = new float[16];
        for (int i = 0; i < 16; i++) e[i] = i / 4 + 1;

        Assert.Equal(6.0 * 6.0 + 7.5 * 7.5, PairwiseCorrelationLoss.Value(e, shape, [1]), 10);
    }

    [Fact]
    public void Pooling_drops_the_odd_trailing_row_and_column()
    {
        // 9x9 of ones with 100 in the last row and column. Level 0, shift 0: mean(x^2)^2 twice.
        // Level 1 pools only the leading 8x8 (all ones) into 4x4 ones: 1 + 1 for any shift.
        var shape = new LatentShape(1, 9, 9);
        var e = new float[81];
        for (int y = 0; y < 9; y++)
            for (int x = 0; x < 9; x++)
                e[y * 9 + x] = y == 8 || x == 8 ? 100f : 1f;
        double meanSquare = (64 * 1.0 + 17 * 10000.0) / 81;

        Assert.Equal(2 * meanSquare * meanSquare + 2, PairwiseCorrelationLoss.Value(e, shape, [0, 1]), 6);
    }

    [Fact]
    public void DrawShifts_walks_channels_then_levels_with_range_half_the_rows()
    {
        var shape = new LatentShape(4, 64, 64); // rows per level 64, 32, 16, 8
        var shifts = new int[PairwiseCorrelationLoss.ShiftCount(shape)];
        PairwiseCorrelationLoss.DrawShifts(shape, new SeededRandom(99), shifts);

        var reference = new SeededRandom(99);
        int[] rows = [64, 32, 16, 8];
        for (int c = 0; c < 4; c++)
            for (int level = 0; level < 4; level++)
            {
                int shift = shifts[c * 4 + level];
                Assert.InRange(shift, 0, rows[level] / 2 - 1);
                Assert.Equal(reference.NextInt(rows[level] / 2), shift);
            }
        Assert.True(shifts.Distinct().Count() > 4);
    }

    [Fact]
    public void Gradient_overwrites_every_element()
    {
        var shape = new LatentShape(4, 12, 10);
        float[] e = GradientCheck.Gaussian(shape, 2);
        var shifts = new int[PairwiseCorrelationLoss.ShiftCount(shape)];
        var gradient = Enumerable.Repeat(float.NaN, shape.Length).ToArray();
        var scratch = Enumerable.Repeat(float.NaN, PairwiseCorrelationLoss.ScratchLength(shape)).ToArray();

        PairwiseCorrelationLoss.Gradient(e, shape, shifts, gradient, scratch);

        Assert.All(gradient, g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void Rejects_wrong_buffer_sizes()
    {
        var shape = new LatentShape(4, 16, 16);
        var e = new float[shape.Length];
        var shifts = new int[PairwiseCorrelationLoss.ShiftCount(shape)];
        var scratch = new float[PairwiseCorrelationLoss.ScratchLength(shape)];
        Assert.Throws<ArgumentException>(() => PairwiseCorrelationLoss.Value(e, shape, new int[3]));
        Assert.Throws<ArgumentException>(() => PairwiseCorrelationLoss.Gradient(e, shape, shifts, new float[shape.Length], new float[10]));
        Assert.Throws<ArgumentException>(() => PairwiseCorrelationLoss.Gradient(e, shape, shifts, new float[5], scratch));
    }
}
