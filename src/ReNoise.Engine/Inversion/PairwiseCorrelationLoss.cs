using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>
/// The pairwise (auto-correlation) loss of pix2pix-zero as ReNoise uses it (spec §8). Per channel,
/// on a pyramid of 2x2 average pools (odd trailing row/column dropped, stopping at the first level
/// with at most 8 rows), each level map x with shift r adds
/// <c>mean(x * roll(x, r, rows))^2 + mean(x * roll(x, r, cols))^2</c> (circular roll).
/// The shifts are explicit so that value and gradient are deterministic; they are indexed
/// <c>[channel * levels + level]</c>, and <see cref="DrawShifts"/> draws them in the reference
/// order. Maps, products and gradient are float; each row's products are summed in float and the
/// rows in double. Callers provide the scratch so the gradient allocates nothing.
/// </summary>
/// <remarks>
/// This runs 20 times per regularization (spec defaults), so it is written for speed. Every level
/// is kept in the scratch with each row stored twice, back to back (<c>x[i, 0..C) x[i, 0..C)</c>), so
/// that a column roll by r of a row is one contiguous run of that doubled row, starting at
/// <c>C - r</c> (or <c>r</c> for the roll by -r): each row's products are then one vector pass,
/// and so is its gradient, with no wrap-around splits. The gradient of level 0 goes straight
/// into the output, or with <see cref="Step"/> straight into e (the regularizer's update). Rows
/// are short (64 values at 512 px, 8 at the coarsest level), so the per-row bookkeeping counts:
/// neighbour rows advance with the row, a coarse row is unpooled once for both rows it covers.
/// </remarks>
internal static class PairwiseCorrelationLoss
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

    /// <summary>Length of the float scratch buffer <see cref="Gradient"/> and <see cref="Step"/> need for <paramref name="shape"/>.</summary>
    public static int ScratchLength(LatentShape shape)
    {
        // One channel at a time: every level with doubled rows, then the gradients of levels 1...,
        // then one row for a coarse gradient row unpooled to the finer level.
        int levels = Levels(shape.Height, shape.Width);
        int maps = 0, gradients = 0;
        for (int level = 0; level < levels; level++)
        {
            int n = (shape.Height >> level) * (shape.Width >> level);
            maps += 2 * n;
            if (level > 0) gradients += n;
        }
        return maps + gradients + shape.Width;
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
        => Value(e, shape, shifts, new float[ScratchLength(shape)]);

    public static double Value(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts, Span<float> scratch)
    {
        Validate(e, shape, shifts, scratch);
        return Compute(e, shape, shifts, Span<float>.Empty, scratch, withGradient: false, step: null);
    }

    /// <summary>
    /// Writes dL/de into <paramref name="gradient"/> and returns the loss value. For a level map
    /// with N elements, d mean(x * roll(x, r))^2 / dx = 2 m (roll(x, r) + roll(x, -r)) / N; each
    /// pooled value's gradient is spread 1/4 to its 2x2 sources (dropped rows/columns get 0).
    /// </summary>
    public static double Gradient(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts, Span<float> gradient, Span<float> scratch)
    {
        Validate(e, shape, shifts, scratch);
        if (gradient.Length != shape.Length)
            throw new ArgumentException($"gradient has {gradient.Length} elements, shape {shape} needs {shape.Length}.", nameof(gradient));
        if (gradient.Overlaps(e))
            throw new ArgumentException("gradient must not overlap e.", nameof(gradient));
        return Compute(e, shape, shifts, gradient, scratch, withGradient: true, step: null);
    }

    /// <summary>
    /// One gradient step in place: <c>e += step * dL/de</c>, the same values as <see cref="Gradient"/>
    /// followed by <c>TensorPrimitives.MultiplyAdd(gradient, step, e, e)</c>. The finest level's
    /// gradient is added to e as it is computed (from the level's copy in the scratch), so the
    /// full-size gradient is never written and read back.
    /// </summary>
    public static void Step(Span<float> e, LatentShape shape, ReadOnlySpan<int> shifts, float step, Span<float> scratch)
    {
        Validate(e, shape, shifts, scratch);
        Compute(e, shape, shifts, e, scratch, withGradient: true, step);
    }

    private static void Validate(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts, Span<float> scratch)
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

    /// <summary>Pyramids are at most 31 levels deep (an int height halves to 8 within 28 steps).</summary>
    private const int MaxLevels = 32;

    /// <summary>
    /// The loss, and with <paramref name="withGradient"/> the gradient: written to
    /// <paramref name="gradient"/>, or with a <paramref name="step"/> added times the step to
    /// <paramref name="gradient"/> (then e itself: each channel is copied to the scratch before its
    /// finest level is updated, and channels do not interact).
    /// </summary>
    private static double Compute(ReadOnlySpan<float> e, LatentShape shape, ReadOnlySpan<int> shifts, Span<float> gradient, Span<float> scratch,
        bool withGradient, float? step)
    {
        int levels = Levels(shape.Height, shape.Width);
        int plane = shape.PlaneLength;
        Span<int> mapOffset = stackalloc int[MaxLevels];
        Span<int> gradientOffset = stackalloc int[MaxLevels];
        int mapsLength = 0, gradientsLength = 0;
        for (int level = 0; level < levels; level++)
        {
            int n = (shape.Height >> level) * (shape.Width >> level);
            mapOffset[level] = mapsLength;
            mapsLength += 2 * n;
            gradientOffset[level] = gradientsLength;
            if (level > 0) gradientsLength += n;
        }
        Span<float> maps = scratch[..mapsLength];
        Span<float> gradients = scratch.Slice(mapsLength, gradientsLength);
        Span<float> unpooled = scratch.Slice(mapsLength + gradientsLength, shape.Width);
        Span<float> rowCoefficient = stackalloc float[MaxLevels];
        Span<float> colCoefficient = stackalloc float[MaxLevels];

        double loss = 0;
        for (int c = 0; c < shape.Channels; c++)
        {
            ReadOnlySpan<int> channelShifts = shifts.Slice(c * levels, levels);
            Doubled(e.Slice(c * plane, plane), shape.Height, shape.Width, maps[..(2 * plane)]);

            // Forward, finest level first: each level's two means, then its pool.
            for (int level = 0; level < levels; level++)
            {
                int rows = shape.Height >> level, cols = shape.Width >> level;
                int n = rows * cols;
                ReadOnlySpan<float> map = maps.Slice(mapOffset[level], 2 * n);
                var (rowSum, colSum) = Correlations(map, rows, cols, channelShifts[level]);
                double rowMean = rowSum / n, colMean = colSum / n;
                loss += rowMean * rowMean + colMean * colMean;
                rowCoefficient[level] = (float)(2.0 * rowMean / n);
                colCoefficient[level] = (float)(2.0 * colMean / n);
                if (level + 1 < levels)
                    Pool(map, rows, cols, maps.Slice(mapOffset[level + 1], 2 * (rows / 2) * (cols / 2)));
            }

            if (!withGradient) continue;

            // Backward, coarsest level first, so each level's gradient is complete before the
            // level below adds its unpooled share.
            Span<float> coarser = Span<float>.Empty;
            for (int level = levels - 1; level >= 0; level--)
            {
                int rows = shape.Height >> level, cols = shape.Width >> level;
                int n = rows * cols;
                Span<float> levelGradient = level == 0 ? gradient.Slice(c * plane, plane) : gradients.Slice(gradientOffset[level], n);
                LevelGradient(maps.Slice(mapOffset[level], 2 * n), rows, cols, channelShifts[level],
                    rowCoefficient[level], colCoefficient[level], coarser, unpooled[..cols], levelGradient, level == 0 ? step : null);
                coarser = levelGradient;
            }
        }
        return loss;
    }

    /// <summary>Copies a rows x cols map into <paramref name="doubled"/> with every row written twice, back to back.</summary>
    private static void Doubled(ReadOnlySpan<float> map, int rows, int cols, Span<float> doubled)
    {
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<float> row = map.Slice(i * cols, cols);
            row.CopyTo(doubled.Slice(2 * i * cols, cols));
            row.CopyTo(doubled.Slice((2 * i + 1) * cols, cols));
        }
    }

    /// <summary>
    /// sum(x * roll(x, r, rows)) and sum(x * roll(x, r, cols)) of a map with doubled rows, where
    /// roll(x, r, rows)[i, :] = x[(i - r) mod rows, :] and roll(x, r, cols)[i, j] = x[i, (j - r) mod cols]
    /// = doubled row i at C - r + j. Each row's products are summed in float (a row is short), the rows in double.
    /// </summary>
    private static (double RowSum, double ColSum) Correlations(ReadOnlySpan<float> doubled, int rows, int cols, int shift)
    {
        int rowShift = Modulo(shift, rows), colShift = Modulo(shift, cols);
        ref float mapRef = ref MemoryMarshal.GetReference(doubled);
        double rowSum = 0, colSum = 0;
        // The row r above, (i - r) mod rows, advanced row by row.
        int upRow = rowShift == 0 ? 0 : rows - rowShift;
        for (int i = 0; i < rows; i++, upRow = upRow + 1 == rows ? 0 : upRow + 1)
        {
            ref float row = ref Unsafe.Add(ref mapRef, 2 * i * cols);
            ref float up = ref Unsafe.Add(ref mapRef, 2 * upRow * cols);
            ref float rolled = ref Unsafe.Add(ref row, cols - colShift);
            int j = 0;
            float vertical = 0, horizontal = 0;
            if (Vector.IsHardwareAccelerated)
            {
                Vector<float> verticalSum = Vector<float>.Zero, horizontalSum = Vector<float>.Zero;
                for (; j <= cols - Vector<float>.Count; j += Vector<float>.Count)
                {
                    var x = Vector.LoadUnsafe(ref row, (nuint)j);
                    verticalSum += x * Vector.LoadUnsafe(ref up, (nuint)j);
                    horizontalSum += x * Vector.LoadUnsafe(ref rolled, (nuint)j);
                }
                vertical = Vector.Sum(verticalSum);
                horizontal = Vector.Sum(horizontalSum);
            }
            if (Vector128.IsHardwareAccelerated && Vector<float>.Count > Vector128<float>.Count && j <= cols - Vector128<float>.Count)
            {
                var x = Vector128.LoadUnsafe(ref row, (nuint)j);
                vertical += Vector128.Sum(x * Vector128.LoadUnsafe(ref up, (nuint)j));
                horizontal += Vector128.Sum(x * Vector128.LoadUnsafe(ref rolled, (nuint)j));
                j += Vector128<float>.Count;
            }
            for (; j < cols; j++)
            {
                float x = Unsafe.Add(ref row, j);
                vertical += x * Unsafe.Add(ref up, j);
                horizontal += x * Unsafe.Add(ref rolled, j);
            }
            rowSum += vertical;
            colSum += horizontal;
        }
        return (rowSum, colSum);
    }

    /// <summary>
    /// Writes one level's gradient:
    /// <c>g = a (roll(x, r, rows) + roll(x, -r, rows)) + b (roll(x, r, cols) + roll(x, -r, cols)) + unpool(coarser)</c>,
    /// where unpool gives each of a coarse value's 2x2 sources a quarter of its gradient and the
    /// dropped odd row/column nothing. <paramref name="coarser"/> is empty at the coarsest level;
    /// <paramref name="doubled"/> is the level's map with doubled rows. With a <paramref name="step"/>,
    /// <c>g * step</c> is added to <paramref name="g"/>'s values instead (<c>g * step + target</c>, as
    /// TensorPrimitives.MultiplyAdd rounds it).
    /// </summary>
    /// <remarks>
    /// A coarse row's quarter share is the same for both fine rows it covers, so it is unpooled once
    /// into <paramref name="unpooled"/> (one row) and read by both. Each path (vector, 128-bit, scalar)
    /// keeps the association of the first version: <c>(share + a v) + b h</c> in vectors,
    /// <c>share + (a v + b h)</c> for single values.
    /// </remarks>
    private static void LevelGradient(ReadOnlySpan<float> doubled, int rows, int cols, int shift, float a, float b,
        ReadOnlySpan<float> coarser, Span<float> unpooled, Span<float> g, float? step)
    {
        int rowShift = Modulo(shift, rows), colShift = Modulo(shift, cols);
        int coarseRows = rows / 2, coarseCols = cols / 2;
        ref float mapRef = ref MemoryMarshal.GetReference(doubled);
        ref float shareRef = ref MemoryMarshal.GetReference(unpooled);
        ref float gBase = ref MemoryMarshal.GetReference(g);
        ref float coarseRef = ref MemoryMarshal.GetReference(coarser);
        bool update = step.HasValue;
        float stepSize = step.GetValueOrDefault();
        var va = new Vector<float>(a);
        var vb = new Vector<float>(b);
        var vStep = new Vector<float>(stepSize);
        // An odd last column is dropped by the pool and gets no share; Unpool writes the rest.
        if (cols % 2 == 1) unpooled[cols - 1] = 0f;

        // The rows r above and below, (i -/+ r) mod rows, advanced row by row.
        int upRow = rowShift == 0 ? 0 : rows - rowShift, downRow = rowShift;
        for (int i = 0; i < rows; i++, upRow = upRow + 1 == rows ? 0 : upRow + 1, downRow = downRow + 1 == rows ? 0 : downRow + 1)
        {
            // Rows beyond the pooled ones (the odd last row) and the coarsest level get no share.
            bool shared = !coarser.IsEmpty && i < 2 * coarseRows;
            if (shared && i % 2 == 0)
                Unpool(ref Unsafe.Add(ref coarseRef, (i / 2) * coarseCols), coarseCols, ref shareRef);

            ref float gRef = ref Unsafe.Add(ref gBase, i * cols);
            ref float row = ref Unsafe.Add(ref mapRef, 2 * i * cols);
            ref float up = ref Unsafe.Add(ref mapRef, 2 * upRow * cols);
            ref float down = ref Unsafe.Add(ref mapRef, 2 * downRow * cols);
            ref float behind = ref Unsafe.Add(ref row, cols - colShift); // x[i, (j - r) mod C]
            ref float ahead = ref Unsafe.Add(ref row, colShift);         // x[i, (j + r) mod C]
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; j <= cols - Vector<float>.Count; j += Vector<float>.Count)
                {
                    nuint k = (nuint)j;
                    var vertical = Vector.LoadUnsafe(ref up, k) + Vector.LoadUnsafe(ref down, k);
                    var horizontal = Vector.LoadUnsafe(ref behind, k) + Vector.LoadUnsafe(ref ahead, k);
                    var share = shared ? Vector.LoadUnsafe(ref shareRef, k) : Vector<float>.Zero;
                    var gradient = share + va * vertical + vb * horizontal;
                    if (update) gradient = gradient * vStep + Vector.LoadUnsafe(ref gRef, k);
                    gradient.StoreUnsafe(ref gRef, k);
                }
            }
            if (Vector128.IsHardwareAccelerated && Vector<float>.Count > Vector128<float>.Count && j <= cols - Vector128<float>.Count)
            {
                nuint k = (nuint)j;
                var vertical = Vector128.LoadUnsafe(ref up, k) + Vector128.LoadUnsafe(ref down, k);
                var horizontal = Vector128.LoadUnsafe(ref behind, k) + Vector128.LoadUnsafe(ref ahead, k);
                var share = shared ? Vector128.LoadUnsafe(ref shareRef, k) : Vector128<float>.Zero;
                var gradient = share + Vector128.Create(a) * vertical + Vector128.Create(b) * horizontal;
                if (update) gradient = gradient * Vector128.Create(stepSize) + Vector128.LoadUnsafe(ref gRef, k);
                gradient.StoreUnsafe(ref gRef, k);
                j += Vector128<float>.Count;
            }
            for (; j < cols; j++)
            {
                float vertical = Unsafe.Add(ref up, j) + Unsafe.Add(ref down, j);
                float horizontal = Unsafe.Add(ref behind, j) + Unsafe.Add(ref ahead, j);
                float share = shared ? Unsafe.Add(ref shareRef, j) : 0f;
                float gradient = share + (a * vertical + b * horizontal);
                Unsafe.Add(ref gRef, j) = update ? gradient * stepSize + Unsafe.Add(ref gRef, j) : gradient;
            }
        }
    }

    /// <summary>
    /// 2x2 average pool, stride 2, floor (avg_pool2d with kernel 2): ((t0 + b0) + (t1 + b1)) / 4,
    /// from and to maps with doubled rows.
    /// </summary>
    private static void Pool(ReadOnlySpan<float> doubled, int rows, int cols, Span<float> pooledDoubled)
    {
        int pooledRows = rows / 2, pooledCols = cols / 2;
        ref float mapRef = ref MemoryMarshal.GetReference(doubled);
        ref float pooledRef = ref MemoryMarshal.GetReference(pooledDoubled);
        for (int i = 0; i < pooledRows; i++)
        {
            ref float top = ref Unsafe.Add(ref mapRef, 2 * (2 * i) * cols);
            ref float bottom = ref Unsafe.Add(ref mapRef, 2 * (2 * i + 1) * cols);
            ref float output = ref Unsafe.Add(ref pooledRef, 2 * i * pooledCols);
            ref float copy = ref Unsafe.Add(ref output, pooledCols);
            int j = 0;
            if (Avx2.IsSupported)
            {
                // Eight outputs per step: HorizontalAdd pairs within each 128-bit half, the permute puts the halves in order.
                var quarter = Vector256.Create(0.25f);
                for (; j <= pooledCols - 8; j += 8)
                {
                    nuint k = (nuint)(2 * j);
                    var first = Vector256.LoadUnsafe(ref top, k) + Vector256.LoadUnsafe(ref bottom, k);
                    var second = Vector256.LoadUnsafe(ref top, k + 8) + Vector256.LoadUnsafe(ref bottom, k + 8);
                    var pairs = Avx2.Permute4x64(Avx.HorizontalAdd(first, second).AsDouble(), 0b11_01_10_00).AsSingle();
                    var pooled = pairs * quarter;
                    pooled.StoreUnsafe(ref output, (nuint)j);
                    pooled.StoreUnsafe(ref copy, (nuint)j);
                }
            }
            if (Sse3.IsSupported || AdvSimd.Arm64.IsSupported)
            {
                var quarter = Vector128.Create(0.25f);
                for (; j <= pooledCols - 4; j += 4)
                {
                    nuint k = (nuint)(2 * j);
                    // Columns 2j..2j+7 of both rows; the pairwise sum of (top + bottom) gives 4 outputs.
                    var first = Vector128.LoadUnsafe(ref top, k) + Vector128.LoadUnsafe(ref bottom, k);
                    var second = Vector128.LoadUnsafe(ref top, k + 4) + Vector128.LoadUnsafe(ref bottom, k + 4);
                    var pairs = Sse3.IsSupported ? Sse3.HorizontalAdd(first, second) : AdvSimd.Arm64.AddPairwise(first, second);
                    var pooled = pairs * quarter;
                    pooled.StoreUnsafe(ref output, (nuint)j);
                    pooled.StoreUnsafe(ref copy, (nuint)j);
                }
            }
            for (; j < pooledCols; j++)
            {
                float left = Unsafe.Add(ref top, 2 * j) + Unsafe.Add(ref bottom, 2 * j);
                float right = Unsafe.Add(ref top, 2 * j + 1) + Unsafe.Add(ref bottom, 2 * j + 1);
                Unsafe.Add(ref output, j) = Unsafe.Add(ref copy, j) = (left + right) * 0.25f;
            }
        }
    }

    /// <summary>
    /// Writes a quarter of each of <paramref name="count"/> coarse gradient values to its two sources
    /// in a fine row (fine[2j] = fine[2j + 1] = coarse[j] / 4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // no call in LevelGradient's row loop: its vector constants stay in registers
    private static void Unpool(ref float coarse, int count, ref float fine)
    {
        int j = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var quarter = Vector128.Create(0.25f);
            for (; j <= count - 4; j += 4)
            {
                var values = Vector128.LoadUnsafe(ref coarse, (nuint)j) * quarter;
                Vector128.Shuffle(values, Vector128.Create(0, 0, 1, 1)).StoreUnsafe(ref fine, (nuint)(2 * j));
                Vector128.Shuffle(values, Vector128.Create(2, 2, 3, 3)).StoreUnsafe(ref fine, (nuint)(2 * j + 4));
            }
        }
        for (; j < count; j++)
        {
            float value = Unsafe.Add(ref coarse, j) * 0.25f;
            Unsafe.Add(ref fine, 2 * j) = value;
            Unsafe.Add(ref fine, 2 * j + 1) = value;
        }
    }

    private static int Modulo(int value, int modulus)
    {
        int r = value % modulus;
        return r < 0 ? r + modulus : r;
    }
}
