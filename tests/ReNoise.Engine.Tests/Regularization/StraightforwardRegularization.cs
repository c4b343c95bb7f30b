using System.Numerics.Tensors;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Regularization;

// The regularization losses as first written: one scalar or per-row pass at a time, the pyramid
// and all sums in double. Kept verbatim as the yardstick the optimized engine code is pinned to
// (StraightforwardRegularizationTests); not used by the engine.

/// <summary>The first implementation of <see cref="PairwiseCorrelationLoss"/> (double pyramid, per-row passes).</summary>
internal static class StraightforwardPairwiseCorrelationLoss
{
    private static int Levels(int height, int width) => PairwiseCorrelationLoss.Levels(height, width);

    public static int ScratchLength(LatentShape shape)
    {
        int levels = Levels(shape.Height, shape.Width);
        int total = 0;
        for (int level = 0; level < levels; level++)
            total += (shape.Height >> level) * (shape.Width >> level);
        return 2 * total;
    }

    public static double Value(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts)
        => Compute(e, shape, shifts, Span<float>.Empty, new double[ScratchLength(shape)], withGradient: false);

    public static double Gradient(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts, Span<float> gradient)
        => Compute(e, shape, shifts, gradient, new double[ScratchLength(shape)], withGradient: true);

    public static double Compute(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts, Span<float> gradient, Span<double> scratch, bool withGradient)
    {
        int levels = Levels(shape.Height, shape.Width);
        int plane = shape.PlaneLength;
        int pyramidLength = ScratchLength(shape) / 2;
        Span<double> pyramid = scratch[..pyramidLength];
        Span<double> pyramidGradient = scratch.Slice(pyramidLength, pyramidLength);

        double loss = 0;
        for (int c = 0; c < shape.Channels; c++)
        {
            ReadOnlySpan<float> source = e.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++) pyramid[i] = source[i];

            int offset = 0;
            for (int level = 0; level < levels; level++)
            {
                int rows = shape.Height >> level, cols = shape.Width >> level;
                int length = rows * cols;
                Span<double> map = pyramid.Slice(offset, length);
                Span<double> mapGradient = withGradient ? pyramidGradient.Slice(offset, length) : Span<double>.Empty;
                loss += LevelTerm(map, rows, cols, shifts[c * levels + level], mapGradient);
                if (level + 1 < levels)
                    Pool(map, rows, cols, pyramid.Slice(offset + length, (rows / 2) * (cols / 2)));
                offset += length;
            }

            if (!withGradient) continue;

            // Back through the pools, coarsest first, so each level's gradient is complete
            // before it is spread to the level below.
            for (int level = levels - 1; level >= 1; level--)
            {
                int rows = shape.Height >> level, cols = shape.Width >> level;
                int fineRows = shape.Height >> (level - 1), fineCols = shape.Width >> (level - 1);
                offset -= rows * cols;
                int fineOffset = offset - fineRows * fineCols;
                Unpool(pyramidGradient.Slice(offset, rows * cols), rows, cols,
                       pyramidGradient.Slice(fineOffset, fineRows * fineCols), fineCols);
            }

            Span<float> target = gradient.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++) target[i] = (float)pyramidGradient[i];
        }
        return loss;
    }

    /// <summary>
    /// One level's two terms; when <paramref name="gradient"/> is not empty it is overwritten with
    /// their gradient with respect to this level's map.
    /// </summary>
    private static double LevelTerm(ReadOnlySpan<double> x, int rows, int cols, int shift, Span<double> gradient)
    {
        int n = rows * cols;
        int rowShift = Modulo(shift, rows);
        int colShift = Modulo(shift, cols);

        // roll(x, r, rows)[i, :] = x[(i - r) mod rows, :]; roll(x, r, cols)[:, j] = x[:, (j - r) mod cols].
        double rowSum = 0, colSum = 0;
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<double> row = x.Slice(i * cols, cols);
            rowSum += TensorPrimitives.Dot(row, x.Slice(Modulo(i - rowShift, rows) * cols, cols));
            colSum += TensorPrimitives.Dot(row[colShift..], row[..(cols - colShift)])
                    + TensorPrimitives.Dot(row[..colShift], row[(cols - colShift)..]);
        }
        double rowMean = rowSum / n, colMean = colSum / n;

        if (!gradient.IsEmpty)
        {
            double a = 2.0 * rowMean / n, b = 2.0 * colMean / n;
            for (int i = 0; i < rows; i++)
            {
                ReadOnlySpan<double> row = x.Slice(i * cols, cols);
                Span<double> g = gradient.Slice(i * cols, cols);
                // a (roll(x, r, rows) + roll(x, -r, rows))
                TensorPrimitives.Multiply(x.Slice(Modulo(i - rowShift, rows) * cols, cols), a, g);
                TensorPrimitives.MultiplyAdd(x.Slice(Modulo(i + rowShift, rows) * cols, cols), a, g, g);
                // b (roll(x, r, cols) + roll(x, -r, cols)), each roll split at the wrap-around.
                int rest = cols - colShift;
                TensorPrimitives.MultiplyAdd(row[..rest], b, g[colShift..], g[colShift..]);
                TensorPrimitives.MultiplyAdd(row[rest..], b, g[..colShift], g[..colShift]);
                TensorPrimitives.MultiplyAdd(row[colShift..], b, g[..rest], g[..rest]);
                TensorPrimitives.MultiplyAdd(row[..colShift], b, g[rest..], g[rest..]);
            }
        }
        return rowMean * rowMean + colMean * colMean;
    }

    /// <summary>2x2 average pool, stride 2, floor (avg_pool2d with kernel 2).</summary>
    private static void Pool(ReadOnlySpan<double> x, int rows, int cols, Span<double> pooled)
    {
        int pooledRows = rows / 2, pooledCols = cols / 2;
        for (int i = 0; i < pooledRows; i++)
        {
            ReadOnlySpan<double> top = x.Slice(2 * i * cols, cols);
            ReadOnlySpan<double> bottom = x.Slice((2 * i + 1) * cols, cols);
            Span<double> output = pooled.Slice(i * pooledCols, pooledCols);
            for (int j = 0; j < pooledCols; j++)
                output[j] = 0.25 * (top[2 * j] + top[2 * j + 1] + bottom[2 * j] + bottom[2 * j + 1]);
        }
    }

    /// <summary>Adds a quarter of each pooled value's gradient to its 2x2 sources.</summary>
    private static void Unpool(ReadOnlySpan<double> pooledGradient, int pooledRows, int pooledCols, Span<double> fineGradient, int fineCols)
    {
        for (int i = 0; i < pooledRows; i++)
        {
            ReadOnlySpan<double> source = pooledGradient.Slice(i * pooledCols, pooledCols);
            Span<double> top = fineGradient.Slice(2 * i * fineCols, fineCols);
            Span<double> bottom = fineGradient.Slice((2 * i + 1) * fineCols, fineCols);
            for (int j = 0; j < pooledCols; j++)
            {
                double quarter = 0.25 * source[j];
                top[2 * j] += quarter;
                top[2 * j + 1] += quarter;
                bottom[2 * j] += quarter;
                bottom[2 * j + 1] += quarter;
            }
        }
    }

    private static int Modulo(int value, int modulus)
    {
        int r = value % modulus;
        return r < 0 ? r + modulus : r;
    }
}

/// <summary>The first implementation of <see cref="PatchKlLoss"/> (scalar loops per tile, double).</summary>
internal static class StraightforwardPatchKlLoss
{
    private const int PatchSize = PatchKlLoss.PatchSize;
    private const int Channels = PatchKlLoss.Channels;
    private const double Epsilon = PatchKlLoss.Epsilon;
    private const int PatchArea = PatchSize * PatchSize;

    public static double Value(ReadOnlySpan<float> e, ReadOnlySpan<float> target, LatentShape shape)
        => Compute(e, target, shape, Span<float>.Empty, withGradient: false);

    public static double Gradient(ReadOnlySpan<float> e, ReadOnlySpan<float> target, LatentShape shape, Span<float> gradient)
        => Compute(e, target, shape, gradient, withGradient: true);

    public static double Compute(ReadOnlySpan<float> e, ReadOnlySpan<float> target, LatentShape shape, Span<float> gradient, bool withGradient)
    {
        if (withGradient) gradient.Clear();
        int width = shape.Width;
        int plane = shape.PlaneLength;
        int tilesY = shape.Height / PatchSize;
        int tilesX = width / PatchSize;
        double loss = 0;
        for (int c = 0; c < Channels; c++)
        {
            for (int ty = 0; ty < tilesY; ty++)
            {
                for (int tx = 0; tx < tilesX; tx++)
                {
                    int origin = c * plane + ty * PatchSize * width + tx * PatchSize;

                    double sum0 = 0, sum1 = 0;
                    for (int i = 0; i < PatchSize; i++)
                    {
                        int row = origin + i * width;
                        for (int j = 0; j < PatchSize; j++)
                        {
                            sum0 += e[row + j];
                            sum1 += target[row + j];
                        }
                    }
                    double m0 = sum0 / PatchArea, m1 = sum1 / PatchArea;

                    // Two-pass variance: the one-pass form loses digits on near-constant tiles,
                    // exactly where the loss is steep.
                    double sq0 = 0, sq1 = 0;
                    for (int i = 0; i < PatchSize; i++)
                    {
                        int row = origin + i * width;
                        for (int j = 0; j < PatchSize; j++)
                        {
                            double d0 = e[row + j] - m0, d1 = target[row + j] - m1;
                            sq0 += d0 * d0;
                            sq1 += d1 * d1;
                        }
                    }
                    double v0 = sq0 / (PatchArea - 1), v1 = sq1 / (PatchArea - 1);

                    double dm = m0 - m1;
                    double k = Math.Log((v1 + Epsilon) / (v0 + Epsilon)) + (v0 + dm * dm) / (v1 + Epsilon) - 1;
                    loss += Math.Abs(k);

                    // d|k|/dk = sign(k), and torch's sign(0) = 0 leaves the tile's gradient 0.
                    if (!withGradient || k == 0) continue;
                    double sign = k > 0 ? 1.0 : -1.0;
                    double dkDv0 = -1.0 / (v0 + Epsilon) + 1.0 / (v1 + Epsilon);
                    double dkDm0 = 2.0 * dm / (v1 + Epsilon);
                    // dv0/dx_j = 2 (x_j - m0) / 15 (the sum of deviations is 0), dm0/dx_j = 1/16.
                    double perDeviation = sign * dkDv0 * 2.0 / (PatchArea - 1);
                    double constant = sign * dkDm0 / PatchArea;
                    for (int i = 0; i < PatchSize; i++)
                    {
                        int row = origin + i * width;
                        for (int j = 0; j < PatchSize; j++)
                            gradient[row + j] = (float)(perDeviation * (e[row + j] - m0) + constant);
                    }
                }
            }
        }
        return loss;
    }
}
