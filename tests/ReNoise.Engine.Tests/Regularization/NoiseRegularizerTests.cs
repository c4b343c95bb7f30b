using ReNoise.Engine.Inversion;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Regularization;

public class NoiseRegularizerTests
{
    private static readonly LatentShape Shape = new(4, 32, 32);

    /// <summary>Gaussian noise blurred (circular 3x3 box, three passes) and rescaled to unit variance.</summary>
    private static float[] SmoothNoise(LatentShape shape, int seed)
    {
        float[] x = GradientCheck.Gaussian(shape, seed);
        var tmp = new float[x.Length];
        int h = shape.Height, w = shape.Width;
        for (int pass = 0; pass < 3; pass++)
        {
            for (int c = 0; c < shape.Channels; c++)
                for (int y = 0; y < h; y++)
                    for (int xx = 0; xx < w; xx++)
                    {
                        float s = 0;
                        for (int dy = -1; dy <= 1; dy++)
                            for (int dx = -1; dx <= 1; dx++)
                                s += x[(c * h + (y + dy + h) % h) * w + (xx + dx + w) % w];
                        tmp[(c * h + y) * w + xx] = s / 9;
                    }
            (x, tmp) = (tmp, x);
        }
        double mean = x.Average(v => (double)v);
        double std = Math.Sqrt(x.Average(v => (v - mean) * (v - mean)));
        for (int i = 0; i < x.Length; i++) x[i] = (float)((x[i] - mean) / std);
        return x;
    }

    /// <summary>AC loss with the same small shift at every level: a fixed yardstick of correlation.</summary>
    private static double CorrelationAtShift(float[] e, LatentShape shape, int shift)
        => PairwiseCorrelationLoss.Value(e, shape,
            Enumerable.Repeat(shift, PairwiseCorrelationLoss.ShiftCount(shape)).ToArray());

    [Fact]
    public void Zero_steps_is_the_identity_and_needs_no_e_opt()
    {
        float[] e = GradientCheck.Gaussian(Shape, 1);
        float[] before = (float[])e.Clone();
        var random = new SeededRandom(7);
        var regularizer = new NoiseRegularizer(new RegularizationOptions(Steps: 0), Shape, random);

        regularizer.Regularize(e, ReadOnlySpan<float>.Empty);

        Assert.Equal(before, e);
        Assert.Equal(new SeededRandom(7).NextInt(1 << 30), random.NextInt(1 << 30)); // no draws consumed
    }

    [Fact]
    public void Lowers_the_auto_correlation_of_smooth_noise()
    {
        float[] e = SmoothNoise(Shape, 3);
        double[] before = [CorrelationAtShift(e, Shape, 1), CorrelationAtShift(e, Shape, 2)];

        new NoiseRegularizer(new RegularizationOptions(LambdaKl: 0), Shape, new SeededRandom(5))
            .Regularize(e, ReadOnlySpan<float>.Empty);

        double[] after = [CorrelationAtShift(e, Shape, 1), CorrelationAtShift(e, Shape, 2)];
        Assert.True(after[0] < 0.5 * before[0], $"shift 1: {before[0]} -> {after[0]}");
        Assert.True(after[1] < 0.5 * before[1], $"shift 2: {before[1]} -> {after[1]}");
    }

    [Fact]
    public void Default_options_with_kl_also_lower_the_auto_correlation()
    {
        float[] e = SmoothNoise(Shape, 4);
        float[] eOpt = GradientCheck.Gaussian(Shape, 40);
        double before = CorrelationAtShift(e, Shape, 1);

        new NoiseRegularizer(RegularizationOptions.Default, Shape, new SeededRandom(6)).Regularize(e, eOpt);

        double after = CorrelationAtShift(e, Shape, 1);
        Assert.True(after < before, $"{before} -> {after}");
        Assert.All(e, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Result_is_reproducible_for_a_seed_and_depends_on_it()
    {
        float[] input = SmoothNoise(Shape, 8);
        float[] eOpt = GradientCheck.Gaussian(Shape, 80);
        float[] Run(int seed)
        {
            var e = (float[])input.Clone();
            new NoiseRegularizer(RegularizationOptions.Default, Shape, new SeededRandom(seed)).Regularize(e, eOpt);
            return e;
        }

        float[] a = Run(10), b = Run(10), c = Run(11);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(input, a);
    }

    [Fact]
    public void Follows_the_reference_procedure_step_by_step()
    {
        // Two outer steps, three rolls: KL step (clipped) then the rolls, each with freshly drawn
        // shifts and the gradient at the current e, scaled by lambda_ac / rolls.
        var shape = new LatentShape(4, 16, 12);
        var options = new RegularizationOptions(LambdaAc: 15.0, LambdaKl: 0.1, Steps: 2, AcRolls: 3);
        float[] input = GradientCheck.Gaussian(shape, 12, 0.3f);
        float[] eOpt = GradientCheck.Gaussian(shape, 13);

        float[] actual = (float[])input.Clone();
        new NoiseRegularizer(options, shape, new SeededRandom(21)).Regularize(actual, eOpt);

        double[] expected = input.Select(v => (double)v).ToArray();
        var random = new SeededRandom(21);
        var gradient = new float[shape.Length];
        var shifts = new int[PairwiseCorrelationLoss.ShiftCount(shape)];
        var scratch = new float[PairwiseCorrelationLoss.ScratchLength(shape)];
        for (int step = 0; step < 2; step++)
        {
            PatchKlLoss.Gradient(expected.Select(v => (float)v).ToArray(), eOpt, shape, gradient);
            for (int i = 0; i < expected.Length; i++) expected[i] -= 0.1 * Math.Clamp(gradient[i], -100f, 100f);
            for (int roll = 0; roll < 3; roll++)
            {
                PairwiseCorrelationLoss.DrawShifts(shape, random, shifts);
                PairwiseCorrelationLoss.Gradient(expected.Select(v => (float)v).ToArray(), shape, shifts, gradient, scratch);
                for (int i = 0; i < expected.Length; i++) expected[i] -= 15.0 * gradient[i] / 3;
            }
        }

        double maxDiff = 0, maxChange = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
            maxChange = Math.Max(maxChange, Math.Abs(expected[i] - input[i]));
        }
        Assert.True(maxChange > 1e-2, $"the procedure should move e, moved {maxChange}");
        Assert.True(maxDiff < 1e-4, $"max difference {maxDiff}");
    }

    [Fact]
    public void Kl_gradient_is_clipped_to_plus_minus_one_hundred()
    {
        // Near-constant target tiles (v1 ~ 1e-8) against e with a different mean: dk/dm0 / 16 is
        // of order 2 / (v1 + eps) / 16, far beyond the clip.
        var shape = new LatentShape(4, 8, 8);
        float[] e = GradientCheck.Gaussian(shape, 50, 0.5f);
        float[] eOpt = GradientCheck.Gaussian(shape, 51);
        for (int i = 0; i < eOpt.Length; i++) eOpt[i] = 1e-4f * eOpt[i];

        var raw = new float[shape.Length];
        PatchKlLoss.Gradient(e, eOpt, shape, raw);
        Assert.Contains(raw, g => Math.Abs(g) > 1000);

        float[] actual = (float[])e.Clone();
        var options = new RegularizationOptions(LambdaAc: 0, LambdaKl: 0.065, Steps: 1);
        new NoiseRegularizer(options, shape, new SeededRandom(1)).Regularize(actual, eOpt);

        for (int i = 0; i < e.Length; i++)
        {
            float expected = e[i] - 0.065f * Math.Clamp(raw[i], -100f, 100f);
            Assert.Equal(expected, actual[i], 5);
        }
    }

    [Fact]
    public void Regularize_allocates_nothing_after_warm_up()
    {
        var shape = new LatentShape(4, 64, 64);
        float[] e = SmoothNoise(shape, 9);
        float[] eOpt = GradientCheck.Gaussian(shape, 90);
        var regularizer = new NoiseRegularizer(RegularizationOptions.Default, shape, new SeededRandom(3));
        regularizer.Regularize(e, eOpt);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) regularizer.Regularize(e, eOpt);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Kl_on_without_e_opt_is_rejected()
    {
        var regularizer = new NoiseRegularizer(RegularizationOptions.Default, Shape, new SeededRandom(1));
        var e = new float[Shape.Length];
        Assert.Throws<ArgumentException>(() => regularizer.Regularize(e, ReadOnlySpan<float>.Empty));
        Assert.Throws<ArgumentException>(() => regularizer.Regularize(e, new float[7]));
        Assert.Throws<ArgumentException>(() => regularizer.Regularize(new float[7], e));
    }

    [Fact]
    public void Invalid_options_and_shapes_are_rejected()
    {
        var random = new SeededRandom(1);
        Assert.Throws<ReNoiseInputException>(() => new NoiseRegularizer(new RegularizationOptions(LambdaAc: -1), Shape, random));
        Assert.Throws<ReNoiseInputException>(() => new NoiseRegularizer(new RegularizationOptions(LambdaKl: double.NaN), Shape, random));
        Assert.Throws<ReNoiseInputException>(() => new NoiseRegularizer(new RegularizationOptions(Steps: -1), Shape, random));
        Assert.Throws<ArgumentException>(() => new NoiseRegularizer(RegularizationOptions.Default, new LatentShape(3, 32, 32), random));
    }

    [Fact]
    public void Defaults_are_the_reference_values()
    {
        var d = RegularizationOptions.Default;
        Assert.Equal((20.0, 0.065, 4, 5), (d.LambdaAc, d.LambdaKl, d.Steps, d.AcRolls));
    }
}
