using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>
/// The patch-KL regularizer of ReNoise (spec §8): the latent is cut into non-overlapping tiles of
/// 4 channels x 4 x 4 pixels; per tile and channel the 16 values of <c>e</c> (index 0) and of the
/// target <c>e_opt</c> (index 1) give means m and unbiased variances v, and
/// <c>k = ln((v1+eps)/(v0+eps)) + (v0 + (m0-m1)^2)/(v1+eps) - 1</c>; the loss is the sum of |k|.
/// Rows/columns beyond the last full tile belong to no tile (as torch's unfold drops them).
/// Statistics are computed in double; the gradient is with respect to <c>e</c> only.
/// </summary>
/// <remarks>
/// Written for speed (the regularizer evaluates it 4 times per call): a tile's four rows are four
/// double vectors, and the per-tile scalar work (log, divisions, sign) runs four tiles per vector
/// on batches of a tile row. The target's statistics do not change while e is regularized, so
/// <see cref="TargetStatistics"/> computes them once for several <see cref="Gradient(ReadOnlySpan{float}, ReadOnlySpan{double}, LatentShape, Span{float})"/> calls.
/// </remarks>
internal static class PatchKlLoss
{
    public const int PatchSize = 4;
    public const int Channels = 4;
    public const double Epsilon = 1e-6;

    private const int PatchArea = PatchSize * PatchSize;

    /// <summary>Tiles of a tile row handled per batch (bounded so the batch buffers live on the stack).</summary>
    private const int Batch = 64;

    /// <summary>Tiles (per channel, row-major) times channels: the tile-channel pairs the loss sums over.</summary>
    public static int TileCount(LatentShape shape) => Channels * (shape.Height / PatchSize) * (shape.Width / PatchSize);

    /// <summary>Length of the buffer <see cref="TargetStatistics"/> fills: a mean and a variance per tile.</summary>
    public static int StatisticsLength(LatentShape shape) => 2 * TileCount(shape);

    public static double Value(ReadOnlySpan<float> e, ReadOnlySpan<float> target, LatentShape shape)
    {
        Validate(e, shape);
        CheckTarget(target, shape);
        return Compute(e, target, ReadOnlySpan<double>.Empty, shape, Span<float>.Empty);
    }

    /// <summary>
    /// Writes dL/de into <paramref name="gradient"/> (every element: 0 outside full tiles) and
    /// returns the loss value.
    /// </summary>
    public static double Gradient(ReadOnlySpan<float> e, ReadOnlySpan<float> target, LatentShape shape, Span<float> gradient)
    {
        Validate(e, shape);
        CheckTarget(target, shape);
        CheckGradient(gradient, shape);
        return Compute(e, target, ReadOnlySpan<double>.Empty, shape, gradient);
    }

    /// <summary>
    /// The target's per-tile means (first <see cref="TileCount"/> entries) and unbiased variances
    /// (the rest), tile index <c>(channel * tilesY + ty) * tilesX + tx</c>.
    /// </summary>
    public static void TargetStatistics(ReadOnlySpan<float> target, LatentShape shape, Span<double> statistics)
    {
        CheckTarget(target, shape);
        CheckChannels(shape);
        int tiles = TileCount(shape);
        if (statistics.Length != 2 * tiles)
            throw new ArgumentException($"statistics has {statistics.Length} entries, shape {shape} needs {2 * tiles}.", nameof(statistics));
        int tilesX = shape.Width / PatchSize, tilesY = shape.Height / PatchSize;
        ref float source = ref MemoryMarshal.GetReference(target);
        Span<double> means = statistics[..tiles], variances = statistics[tiles..];
        for (int c = 0; c < Channels; c++)
            for (int ty = 0; ty < tilesY; ty++)
            {
                int first = (c * tilesY + ty) * tilesX;
                TileStatistics(ref source, RowOrigin(shape, c, ty), shape.Width, tilesX,
                    means.Slice(first, tilesX), variances.Slice(first, tilesX));
            }
    }

    /// <summary>
    /// As <see cref="Gradient(ReadOnlySpan{float}, ReadOnlySpan{float}, LatentShape, Span{float})"/>,
    /// with the target given by its <see cref="TargetStatistics"/>.
    /// </summary>
    public static double Gradient(ReadOnlySpan<float> e, ReadOnlySpan<double> targetStatistics, LatentShape shape, Span<float> gradient)
    {
        Validate(e, shape);
        CheckGradient(gradient, shape);
        if (targetStatistics.Length != StatisticsLength(shape))
            throw new ArgumentException($"target statistics have {targetStatistics.Length} entries, shape {shape} needs {StatisticsLength(shape)}.", nameof(targetStatistics));
        return Compute(e, ReadOnlySpan<float>.Empty, targetStatistics, shape, gradient);
    }

    private static void Validate(ReadOnlySpan<float> e, LatentShape shape)
    {
        CheckChannels(shape);
        if (e.Length != shape.Length)
            throw new ArgumentException($"e has {e.Length} elements, shape {shape} needs {shape.Length}.", nameof(e));
    }

    private static void CheckChannels(LatentShape shape)
    {
        if (shape.Channels != Channels)
            throw new ArgumentException($"patch-KL loss needs a {Channels}-channel latent, got shape {shape}.", nameof(shape));
    }

    private static void CheckTarget(ReadOnlySpan<float> target, LatentShape shape)
    {
        if (target.Length != shape.Length)
            throw new ArgumentException($"target has {target.Length} elements, shape {shape} needs {shape.Length}.", nameof(target));
    }

    private static void CheckGradient(Span<float> gradient, LatentShape shape)
    {
        if (gradient.Length != shape.Length)
            throw new ArgumentException($"gradient has {gradient.Length} elements, shape {shape} needs {shape.Length}.", nameof(gradient));
    }

    private static nuint RowOrigin(LatentShape shape, int channel, int tileRow) =>
        (nuint)(channel * shape.PlaneLength + tileRow * PatchSize * shape.Width);

    /// <summary>
    /// The loss, and the gradient when <paramref name="gradient"/> is not empty. The target comes
    /// either as values (<paramref name="target"/>) or as precomputed statistics.
    /// </summary>
    private static double Compute(ReadOnlySpan<float> e, ReadOnlySpan<float> target, ReadOnlySpan<double> targetStatistics,
        LatentShape shape, Span<float> gradient)
    {
        bool withGradient = !gradient.IsEmpty;
        int width = shape.Width;
        int tilesY = shape.Height / PatchSize, tilesX = width / PatchSize;
        int tiles = TileCount(shape);
        // Full tiles overwrite their elements; only leftover rows/columns need zeros.
        if (withGradient && (shape.Height % PatchSize != 0 || width % PatchSize != 0)) gradient.Clear();

        Span<double> buffers = stackalloc double[6 * Batch];
        Span<double> m0 = buffers[..Batch], v0 = buffers.Slice(Batch, Batch);
        Span<double> ownM1 = buffers.Slice(2 * Batch, Batch), ownV1 = buffers.Slice(3 * Batch, Batch);
        Span<double> perDeviation = buffers.Slice(4 * Batch, Batch), constant = buffers.Slice(5 * Batch, Batch);
        ref float eRef = ref MemoryMarshal.GetReference(e);
        ref float targetRef = ref MemoryMarshal.GetReference(target);
        ref float gradientRef = ref MemoryMarshal.GetReference(gradient);

        double loss = 0;
        for (int c = 0; c < Channels; c++)
        {
            for (int ty = 0; ty < tilesY; ty++)
            {
                nuint rowOrigin = RowOrigin(shape, c, ty);
                for (int tx = 0; tx < tilesX; tx += Batch)
                {
                    int count = Math.Min(Batch, tilesX - tx);
                    nuint origin = rowOrigin + (nuint)(tx * PatchSize);
                    TileStatistics(ref eRef, origin, width, count, m0, v0);
                    scoped ReadOnlySpan<double> m1, v1;
                    if (target.IsEmpty)
                    {
                        int first = (c * tilesY + ty) * tilesX + tx;
                        m1 = targetStatistics.Slice(first, count);
                        v1 = targetStatistics.Slice(tiles + first, count);
                    }
                    else
                    {
                        TileStatistics(ref targetRef, origin, width, count, ownM1, ownV1);
                        m1 = ownM1;
                        v1 = ownV1;
                    }
                    loss += Divergences(m0, v0, m1, v1, count, perDeviation, constant);
                    if (withGradient)
                        WriteGradient(ref eRef, origin, width, count, m0, perDeviation, constant, ref gradientRef);
                }
            }
        }
        return loss;
    }

    /// <summary>Means and unbiased variances of <paramref name="count"/> adjacent tiles from <paramref name="origin"/> on.</summary>
    private static void TileStatistics(ref float source, nuint origin, int width, int count, Span<double> means, Span<double> variances)
    {
        nuint stride = (nuint)width;
        for (int t = 0; t < count; t++)
        {
            nuint at = origin + (nuint)(t * PatchSize);
            Vector256<double> r0 = Load(ref source, at), r1 = Load(ref source, at + stride),
                r2 = Load(ref source, at + 2 * stride), r3 = Load(ref source, at + 3 * stride);
            double mean = Vector256.Sum((r0 + r1) + (r2 + r3)) / PatchArea;
            // Two-pass variance: the one-pass form loses digits on near-constant tiles,
            // exactly where the loss is steep.
            var m = Vector256.Create(mean);
            Vector256<double> d0 = r0 - m, d1 = r1 - m, d2 = r2 - m, d3 = r3 - m;
            means[t] = mean;
            variances[t] = Vector256.Sum((d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3)) / (PatchArea - 1);
        }
    }

    /// <summary>
    /// Sum of |k| over the tiles, and per tile the gradient's two coefficients:
    /// dL/dx_j = perDeviation (x_j - m0) + constant.
    /// </summary>
    private static double Divergences(ReadOnlySpan<double> m0, ReadOnlySpan<double> v0, ReadOnlySpan<double> m1, ReadOnlySpan<double> v1,
        int count, Span<double> perDeviation, Span<double> constant)
    {
        double loss = 0;
        int t = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var epsilon = Vector256.Create(Epsilon);
            var one = Vector256<double>.One;
            var sum = Vector256<double>.Zero;
            for (; t <= count - Vector256<double>.Count; t += Vector256<double>.Count)
            {
                var mean0 = Vector256.Create(m0.Slice(t, 4));
                var variance0 = Vector256.Create(v0.Slice(t, 4));
                var variance1 = Vector256.Create(v1.Slice(t, 4));
                var dm = mean0 - Vector256.Create(m1.Slice(t, 4));
                var k = Vector256.Log((variance1 + epsilon) / (variance0 + epsilon)) + (variance0 + dm * dm) / (variance1 + epsilon) - one;
                sum += Vector256.Abs(k);
                // sign(k), with torch's sign(0) = 0 leaving the tile's gradient 0.
                var sign = Vector256.ConditionalSelect(Vector256.GreaterThan(k, Vector256<double>.Zero), one,
                    Vector256.ConditionalSelect(Vector256.LessThan(k, Vector256<double>.Zero), -one, Vector256<double>.Zero));
                var dkDv0 = -one / (variance0 + epsilon) + one / (variance1 + epsilon);
                var dkDm0 = Vector256.Create(2.0) * dm / (variance1 + epsilon);
                // dv0/dx_j = 2 (x_j - m0) / 15 (the sum of deviations is 0), dm0/dx_j = 1/16.
                (sign * dkDv0 * Vector256.Create(2.0) / Vector256.Create((double)(PatchArea - 1))).CopyTo(perDeviation.Slice(t, 4));
                (sign * dkDm0 / Vector256.Create((double)PatchArea)).CopyTo(constant.Slice(t, 4));
            }
            loss = Vector256.Sum(sum);
        }
        for (; t < count; t++)
        {
            double dm = m0[t] - m1[t];
            double k = Math.Log((v1[t] + Epsilon) / (v0[t] + Epsilon)) + (v0[t] + dm * dm) / (v1[t] + Epsilon) - 1;
            loss += Math.Abs(k);
            double sign = k > 0 ? 1.0 : k < 0 ? -1.0 : 0.0;
            double dkDv0 = -1.0 / (v0[t] + Epsilon) + 1.0 / (v1[t] + Epsilon);
            double dkDm0 = 2.0 * dm / (v1[t] + Epsilon);
            perDeviation[t] = sign * dkDv0 * 2.0 / (PatchArea - 1);
            constant[t] = sign * dkDm0 / PatchArea;
        }
        return loss;
    }

    private static void WriteGradient(ref float source, nuint origin, int width, int count,
        ReadOnlySpan<double> means, ReadOnlySpan<double> perDeviation, ReadOnlySpan<double> constant, ref float gradient)
    {
        nuint stride = (nuint)width;
        for (int t = 0; t < count; t++)
        {
            nuint at = origin + (nuint)(t * PatchSize);
            var m = Vector256.Create(means[t]);
            var p = Vector256.Create(perDeviation[t]);
            var b = Vector256.Create(constant[t]);
            for (nuint row = 0; row < PatchSize; row++)
            {
                nuint offset = at + row * stride;
                Store(p * (Load(ref source, offset) - m) + b, ref gradient, offset);
            }
        }
    }

    /// <summary>Four floats from <paramref name="offset"/> on, as doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Load(ref float source, nuint offset) =>
        Vector256.WidenLower(Vector128.LoadUnsafe(ref source, offset).ToVector256Unsafe());

    /// <summary>Four doubles rounded to float, stored from <paramref name="offset"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<double> values, ref float destination, nuint offset) =>
        Vector128.Narrow(values.GetLower(), values.GetUpper()).StoreUnsafe(ref destination, offset);
}
