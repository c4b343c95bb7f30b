using System.Numerics.Tensors;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Regularization;

/// <summary>
/// The regularizer applies each auto-correlation gradient as it computes it
/// (<see cref="PairwiseCorrelationLoss.Step"/>). These pin the fused step, and a whole
/// regularization, bit for bit to writing the gradient and then adding it with TensorPrimitives,
/// as the regularizer did before.
/// </summary>
public class FusedStepTests
{
    /// <summary>The latent sizes of 512 and 128 px images, and shapes whose levels leave vector, 128-bit and scalar tails and odd rows.</summary>
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 4, 64, 64 }, { 4, 16, 16 }, { 4, 60, 84 }, { 4, 17, 23 }, { 4, 13, 7 }, { 4, 96, 64 }, { 4, 18, 34 },
    };

    private static float[] Values(LatentShape shape, int seed, double scale)
    {
        var random = new Random(seed);
        var values = new float[shape.Length];
        for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CorrelationStepEqualsGradientThenMultiplyAdd(int channels, int height, int width)
    {
        var shape = new LatentShape(channels, height, width);
        var shifts = new int[PairwiseCorrelationLoss.ShiftCount(shape)];
        foreach (float step in new[] { -4f, 3.25f, -1e4f })
            for (int seed = 0; seed < 4; seed++)
            {
                float[] e = Values(shape, seed, 1.5);
                e[seed] = -0f;
                PairwiseCorrelationLoss.DrawShifts(shape, new SeededRandom(seed), shifts);
                var gradient = new float[shape.Length];
                PairwiseCorrelationLoss.Gradient(e, shape, shifts, gradient, new float[PairwiseCorrelationLoss.ScratchLength(shape)]);
                float[] expected = (float[])e.Clone();
                TensorPrimitives.MultiplyAdd(gradient, step, expected, expected);

                // Stale scratch must not matter.
                float[] scratch = Enumerable.Repeat(float.NaN, PairwiseCorrelationLoss.ScratchLength(shape)).ToArray();
                PairwiseCorrelationLoss.Step(e, shape, shifts, step, scratch);
                AssertBits(expected, e);
            }
    }

    [Theory]
    [InlineData(4, 64, 64)]
    [InlineData(4, 17, 23)]
    public void RegularizeEqualsTheUnfusedRegularization(int channels, int height, int width)
    {
        var shape = new LatentShape(channels, height, width);
        var options = RegularizationOptions.Default;
        float[] eOpt = Values(shape, 7, 1.0);
        float[] e = Values(shape, 8, 1.2);
        float[] expected = (float[])e.Clone();

        // The loop as NoiseRegularizer ran it before the fused steps.
        var random = new SeededRandom(7865);
        var statistics = new double[PatchKlLoss.StatisticsLength(shape)];
        var gradient = new float[shape.Length];
        var shifts = new int[PairwiseCorrelationLoss.ShiftCount(shape)];
        var scratch = new float[PairwiseCorrelationLoss.ScratchLength(shape)];
        float klStep = -(float)options.LambdaKl, acStep = -(float)(options.LambdaAc / options.AcRolls);
        for (int call = 0; call < 3; call++)
        {
            PatchKlLoss.TargetStatistics(eOpt, shape, statistics);
            for (int step = 0; step < options.Steps; step++)
            {
                PatchKlLoss.Gradient(expected, statistics, shape, gradient);
                TensorPrimitives.Clamp(gradient, -NoiseRegularizer.ClipLimit, NoiseRegularizer.ClipLimit, gradient);
                TensorPrimitives.MultiplyAdd(gradient, klStep, expected, expected);
                for (int roll = 0; roll < options.AcRolls; roll++)
                {
                    PairwiseCorrelationLoss.DrawShifts(shape, random, shifts);
                    PairwiseCorrelationLoss.Gradient(expected, shape, shifts, gradient, scratch);
                    TensorPrimitives.MultiplyAdd(gradient, acStep, expected, expected);
                }
            }
        }

        var regularizer = new NoiseRegularizer(options, shape, new SeededRandom(7865));
        for (int call = 0; call < 3; call++) regularizer.Regularize(e, eOpt);
        AssertBits(expected, e);
    }

    /// <summary>Bit for bit: xUnit's float equality takes -0 for +0.</summary>
    private static void AssertBits(float[] expected, float[] actual) =>
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
}
