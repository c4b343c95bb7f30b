using System.Numerics.Tensors;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>
/// The pairwise (auto-correlation) loss of pix2pix-zero as ReNoise uses it (spec §8). Per channel,
/// on a pyramid of 2x2 average pools (odd trailing row/column dropped, stopping at the first level
/// with at most 8 rows), each level map x with shift r adds
/// <c>mean(x * roll(x, r, rows))^2 + mean(x * roll(x, r, cols))^2</c> (circular roll).
/// The shifts are explicit so that value and gradient are deterministic; they are indexed
/// <c>[channel * levels + level]</c>, and <see cref="DrawShifts"/> draws them in the reference
/// order. Pyramid and sums are in double; callers provide the scratch so the gradient allocates
/// nothing.
/// </summary>
public static class PairwiseCorrelationLoss
{
    /// <summary>The pyramid stops at the first level with at most this many rows.</summary>
    public const int StopRows = 8;

    /// <summary>Number of pyramid levels (the full-size map counts as level 0).</summary>
    public static int Levels(int height, int width)
    {
        // A shift is drawn from [0, rows / 2), which is empty for a single row.
        if (height < 2 || width < 1)
            throw new ArgumentException($"auto-correlation loss needs at least 2 rows and 1 column, got {height}x{width}.");
        int levels = 1;
        int rows = height, cols = width;
        while (rows > StopRows)
        {
            rows /= 2;
            cols /= 2;
            if (cols == 0)
                throw new ArgumentException($"auto-correlation pyramid of a {height}x{width} map pools its width away.");
            levels++;
        }
        return levels;
    }

    /// <summary>Number of shifts one evaluation uses: channels x levels.</summary>
    public static int ShiftCount(LatentShape shape) => shape.Channels * Levels(shape.Height, shape.Width);

    /// <summary>Length of the double scratch buffer <see cref="Gradient"/> needs for <paramref name="shape"/>.</summary>
    public static int ScratchLength(LatentShape shape)
    {
        int levels = Levels(shape.Height, shape.Width);
        int total = 0;
        for (int level = 0; level < levels; level++)
            total += (shape.Height >> level) * (shape.Width >> level);
        return 2 * total; // the pyramid maps, then their gradients
    }

    /// <summary>
    /// Draws one shift per channel and level, channel-major, each uniform in [0, rows(level) / 2),
    /// as the reference does while it walks the pyramid.
    /// </summary>
    public static void DrawShifts(LatentShape shape, SeededRandom random, Span<int> shifts)
    {
        ArgumentNullException.ThrowIfNull(random);
        int levels = Levels(shape.Height, shape.Width);
        if (shifts.Length != shape.Channels * levels)
            throw new ArgumentException($"shifts has {shifts.Length} entries, shape {shape} needs {shape.Channels * levels}.", nameof(shifts));
        for (int c = 0; c < shape.Channels; c++)
            for (int level = 0; level < levels; level++)
                shifts[c * levels + level] = random.NextInt((shape.Height >> level) / 2);
    }

    /// <summary>Loss value; allocates its own scratch (not for hot paths).</summary>
    public static double Value(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts)
        => Value(e, shape, shifts, new double[ScratchLength(shape)]);

    public static double Value(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts, Span<double> scratch)
    {
        Validate(e, shape, shifts, scratch);
        return Compute(e, shape, shifts, Span<float>.Empty, scratch, withGradient: false);
    }

    /// <summary>
    /// Writes dL/de into <paramref name="gradient"/> and returns the loss value. For a level map
    /// with N elements, d mean(x * roll(x, r))^2 / dx = 2 m (roll(x, r) + roll(x, -r)) / N; each
    /// pooled value's gradient is spread 1/4 to its 2x2 sources (dropped rows/columns get 0).
    /// </summary>
    public static double Gradient(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts, Span<float> gradient, Span<double> scratch)
    {
        Validate(e, shape, shifts, scratch);
        if (gradient.Length != shape.Length)
            throw new ArgumentException($"gradient has {gradient.Length} elements, shape {shape} needs {shape.Length}.", nameof(gradient));
        return Compute(e, shape, shifts, gradient, scratch, withGradient: true);
    }

    private static void Validate(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts, Span<double> scratch)
    {
        if (e.Length != shape.Length)
            throw new ArgumentException($"e has {e.Length} elements, shape {shape} needs {shape.Length}.", nameof(e));
        int count = ShiftCount(shape);
        if (shifts.Length != count)
            throw new ArgumentException($"shifts has {shifts.Length} entries, shape {shape} needs {count}.", nameof(shifts));
        int needed = ScratchLength(shape);
        if (scratch.Length < needed)
            throw new ArgumentException($"scratch has {scratch.Length} elements, shape {shape} needs {needed}.", nameof(scratch));
    }

    private static double Compute(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts, Span<float> gradient, Span<double> scratch, bool withGradient)
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
