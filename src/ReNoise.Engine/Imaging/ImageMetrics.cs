using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReNoise.Engine.Imaging;

/// <summary>
/// Reconstruction quality (spec §9): MSE, PSNR and SSIM over 8-bit RGB, computed as
/// scikit-image does so that numbers are comparable with the paper's tooling.
/// </summary>
public static class ImageMetrics
{
    private const double DataRange = 255.0;

    // SSIM as Wang et al. 2004 / skimage structural_similarity(gaussian_weights=True,
    // sigma=1.5, use_sample_covariance=False): an 11-tap Gaussian (truncated at 3.5 sigma).
    private const double SsimSigma = 1.5;
    private const double SsimTruncate = 3.5;
    private const double K1 = 0.01, K2 = 0.03;
    private const int SsimRadius = (int)(SsimTruncate * SsimSigma + 0.5); // 5
    private const int SsimTaps = 2 * SsimRadius + 1;
    private static readonly double[] SsimWindow = GaussianWindow(SsimSigma, SsimRadius);

    /// <summary>Mean of the squared differences over all RGB values.</summary>
    public static double MeanSquaredError(RgbImage a, RgbImage b)
    {
        CheckSameSize(a, b);
        return (double)SumOfSquaredDifferences(a.Pixels, b.Pixels) / a.Pixels.Length;
    }

    /// <summary>
    /// The exact integer sum of (x - y)^2. Vectorized: bytes widen to 16-bit differences, their squares
    /// (at most 65025) are summed in 32-bit lanes, and the lanes are added into a 64-bit total after
    /// every block short enough that no lane can overflow.
    /// </summary>
    private static long SumOfSquaredDifferences(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        long sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // Each step adds 4 squares (at most 4 x 65025) to a 32-bit lane: 8192 steps stay below 2^31 - 1.
            const int StepsPerBlock = 8192;
            int step = Vector<byte>.Count;
            while (i <= x.Length - step)
            {
                var lanes = Vector<int>.Zero;
                int blockEnd = Math.Min(x.Length - step, i + (StepsPerBlock - 1) * step);
                for (; i <= blockEnd; i += step)
                {
                    Vector.Widen(new Vector<byte>(x[i..]), out Vector<ushort> xLow, out Vector<ushort> xHigh);
                    Vector.Widen(new Vector<byte>(y[i..]), out Vector<ushort> yLow, out Vector<ushort> yHigh);
                    var low = Vector.AsVectorInt16(xLow) - Vector.AsVectorInt16(yLow);
                    var high = Vector.AsVectorInt16(xHigh) - Vector.AsVectorInt16(yHigh);
                    Vector.Widen(low, out Vector<int> d0, out Vector<int> d1);
                    Vector.Widen(high, out Vector<int> d2, out Vector<int> d3);
                    lanes += d0 * d0 + d1 * d1 + (d2 * d2 + d3 * d3);
                }
                // Eight lanes of up to 2^31 each would overflow an int sum: widen first.
                Vector.Widen(lanes, out Vector<long> lanesLow, out Vector<long> lanesHigh);
                sum += Vector.Sum(lanesLow + lanesHigh);
            }
        }
        for (; i < x.Length; i++)
        {
            int d = x[i] - y[i];
            sum += d * d;
        }
        return sum;
    }

    /// <summary>
    /// Peak signal-to-noise ratio in dB with peak 255 (skimage peak_signal_noise_ratio,
    /// data_range=255); identical images give +infinity.
    /// </summary>
    public static double Psnr(RgbImage a, RgbImage b)
    {
        double mse = MeanSquaredError(a, b);
        return mse == 0 ? double.PositiveInfinity : 10.0 * Math.Log10(DataRange * DataRange / mse);
    }

    /// <summary>
    /// Mean structural similarity, per RGB channel then averaged, matching skimage
    /// structural_similarity(a, b, channel_axis=2, gaussian_weights=True, sigma=1.5,
    /// use_sample_covariance=False, data_range=255). skimage averages the SSIM map only over
    /// pixels at least the window radius from every border, whose windows lie wholly inside
    /// the image, so the filter's border mode never matters and is not needed here.
    /// </summary>
    /// <remarks>
    /// The five local moments (x, y, x², y², xy) are Gaussian-filtered separably, rows then columns,
    /// and the SSIM map is summed as it is produced. An image row is row-filtered as soon as it is
    /// read, into a ring of the last 11 filtered rows, and each output row is column-filtered from
    /// that ring: a few hundred KB of scratch (it stays in the L2 cache) instead of full-size planes of
    /// every moment (20 MB for 512x512). The kernel is symmetric, so a filtered value is
    /// k5 x5 + sum over t &lt; 5 of k_t (x_t + x_(10-t)), in fused multiply-adds: 5 adds and 6 fused
    /// multiply-adds per value instead of 11 multiplies and 10 adds. Each channel's valid rows are
    /// cut into <see cref="SsimBands"/> bands (each re-filters the 10 rows above it), the bands of all
    /// channels run in parallel, and each band sums its map values in vector lanes; the bands' sums
    /// are added in a fixed order, so the result does not depend on the threads. This rounds
    /// differently from the straightforward sum (one map value at a time, taps in order): the two
    /// agree to 1e-14 relative or better (8e-15 the largest seen on the fixtures;
    /// SsimMatchesTheStraightforwardVersion pins 1e-12), far below the 4 decimals the CLI prints.
    /// </remarks>
    public static double Ssim(RgbImage a, RgbImage b)
    {
        CheckSameSize(a, b);
        int w = a.Width, h = a.Height;
        if (w < SsimTaps || h < SsimTaps)
            throw new ArgumentException($"SSIM needs images of at least {SsimTaps}x{SsimTaps} pixels; these are {w}x{h}");

        int ow = w - 2 * SsimRadius, oh = h - 2 * SsimRadius; // valid (cropped) area
        int n = w * h;
        // Bands of at least 32 output rows: below that the 10 re-filtered rows of each band cost more than the parallelism gains.
        int bands = Math.Clamp(oh / 32, 1, SsimBands);
        byte[] planes = ArrayPool<byte>.Shared.Rent(6 * n); // a's R, G, B planes, then b's
        double[] sums = ArrayPool<double>.Shared.Rent(3 * bands);
        try
        {
            RgbPlanes.ToPlanes(a.Pixels, planes.AsSpan(0, n), planes.AsSpan(n, n), planes.AsSpan(2 * n, n));
            RgbPlanes.ToPlanes(b.Pixels, planes.AsSpan(3 * n, n), planes.AsSpan(4 * n, n), planes.AsSpan(5 * n, n));
            Parallel.For(0, 3 * bands, item =>
            {
                int channel = item / bands, band = item % bands;
                int first = (int)((long)oh * band / bands), last = (int)((long)oh * (band + 1) / bands);
                sums[item] = SsimSum(planes.AsSpan(channel * n, n), planes.AsSpan((3 + channel) * n, n), w, first, last);
            });
            double total = 0;
            for (int channel = 0; channel < 3; channel++)
            {
                double sum = 0;
                for (int band = 0; band < bands; band++) sum += sums[channel * bands + band];
                total += sum / ((double)ow * oh);
            }
            return total / 3.0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(planes);
            ArrayPool<double>.Shared.Return(sums);
        }
    }

    /// <summary>Bands per channel: 4 x 3 channels keep two cores evenly busy (3 channels alone leave one idle half the time).</summary>
    private const int SsimBands = 4;

    /// <summary>x, y, x², y², xy.</summary>
    private const int Moments = 5;

    /// <summary>
    /// The sum of one channel's SSIM map over output rows [<paramref name="first"/>, <paramref name="last"/>)
    /// of the valid area, from the channel's planes <paramref name="a"/> and <paramref name="b"/>.
    /// </summary>
    private static double SsimSum(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int w, int first, int last)
    {
        double[] sources = ArrayPool<double>.Shared.Rent(Moments * w);
        double[] ring = ArrayPool<double>.Shared.Rent(Moments * 2 * SsimTaps * (w - 2 * SsimRadius));
        try
        {
            return SsimSum(a, b, w, first, last, sources, ring);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(sources);
            ArrayPool<double>.Shared.Return(ring);
        }
    }

    /// <summary>
    /// <paramref name="sources"/> receives an image row's moments (5 rows of w); <paramref name="ring"/>
    /// their row-filtered rows: moment m of image row i is written to slots i % 11 and i % 11 + 11 of
    /// moment m's 22 rows, so the 11 rows an output row needs always lie back to back (from slot
    /// (i - 10) % 11 on) and one stride walks them. Output row r needs image rows r .. r + 10.
    /// </summary>
    private static double SsimSum(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int w, int first, int last, double[] sources, double[] ring)
    {
        int ow = w - 2 * SsimRadius;
        int plane = 2 * SsimTaps * ow; // one moment's ring
        double c1 = (K1 * DataRange) * (K1 * DataRange);
        double c2 = (K2 * DataRange) * (K2 * DataRange);
        var lanes = Vector<double>.Zero;
        double sum = 0;
        for (int row = first; row < last + SsimTaps - 1; row++)
        {
            // The row's moments; bytes and their products are exact in double.
            Span<double> x = sources.AsSpan(0, w), y = sources.AsSpan(w, w);
            TensorPrimitives.ConvertChecked(a.Slice(row * w, w), x);
            TensorPrimitives.ConvertChecked(b.Slice(row * w, w), y);
            TensorPrimitives.Multiply(x, x, sources.AsSpan(2 * w, w));
            TensorPrimitives.Multiply(y, y, sources.AsSpan(3 * w, w));
            TensorPrimitives.Multiply(x, y, sources.AsSpan(4 * w, w));
            int slot = row % SsimTaps;
            for (int m = 0; m < Moments; m++)
                FilterRow(sources.AsSpan(m * w, w), ring.AsSpan(m * plane + slot * ow, ow), ring.AsSpan(m * plane + (slot + SsimTaps) * ow, ow));

            // Output row row - 10 has its 11 filtered rows in the ring now.
            if (row >= first + SsimTaps - 1)
                AddSsimRow(ring.AsSpan(((row + 1) % SsimTaps) * ow), plane, ow, c1, c2, ref lanes, ref sum);
        }
        return Vector.Sum(lanes) + sum;
    }

    /// <summary>The filtered row of <paramref name="source"/>, written to both ring slots.</summary>
    private static void FilterRow(ReadOnlySpan<double> source, Span<double> destination, Span<double> copy)
    {
        ref double src = ref MemoryMarshal.GetReference(source);
        ref double dst = ref MemoryMarshal.GetReference(destination);
        ref double dst2 = ref MemoryMarshal.GetReference(copy);
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (k0, k1, k2, k3, k4, k5) = Weights();
            for (; c <= destination.Length - Vector<double>.Count; c += Vector<double>.Count)
            {
                var filtered = Filter(ref Unsafe.Add(ref src, c), 1, k0, k1, k2, k3, k4, k5);
                filtered.StoreUnsafe(ref dst, (nuint)c);
                filtered.StoreUnsafe(ref dst2, (nuint)c);
            }
        }
        for (; c < destination.Length; c++)
            destination[c] = copy[c] = Filter(source[c..], 1);
    }

    /// <summary>
    /// Column-filters one output row of every moment (<paramref name="rows"/>: moment 0's 11
    /// filtered rows back to back, each moment <paramref name="plane"/> further), evaluates the SSIM
    /// map along it and adds it to <paramref name="lanes"/> (vector columns) and <paramref name="sum"/> (the tail).
    /// </summary>
    private static void AddSsimRow(ReadOnlySpan<double> rows, int plane, int ow, double c1, double c2, ref Vector<double> lanes, ref double sum)
    {
        ref double first = ref MemoryMarshal.GetReference(rows);
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (k0, k1, k2, k3, k4, k5) = Weights();
            var two = new Vector<double>(2.0);
            var vc1 = new Vector<double>(c1);
            var vc2 = new Vector<double>(c2);
            var acc = lanes;
            for (; c <= ow - Vector<double>.Count; c += Vector<double>.Count)
            {
                ref double at = ref Unsafe.Add(ref first, c);
                var ux = Filter(ref at, ow, k0, k1, k2, k3, k4, k5);
                var uy = Filter(ref Unsafe.Add(ref at, plane), ow, k0, k1, k2, k3, k4, k5);
                var uxx = Filter(ref Unsafe.Add(ref at, 2 * plane), ow, k0, k1, k2, k3, k4, k5);
                var uyy = Filter(ref Unsafe.Add(ref at, 3 * plane), ow, k0, k1, k2, k3, k4, k5);
                var uxy = Filter(ref Unsafe.Add(ref at, 4 * plane), ow, k0, k1, k2, k3, k4, k5);
                // SsimValue lane by lane, in the same operation order.
                Vector<double> vx = uxx - ux * ux, vy = uyy - uy * uy, vxy = uxy - ux * uy;
                var numerator = (two * ux * uy + vc1) * (two * vxy + vc2);
                var denominator = (ux * ux + uy * uy + vc1) * (vx + vy + vc2);
                acc += numerator / denominator;
            }
            lanes = acc;
        }
        for (; c < ow; c++)
        {
            sum += SsimValue(Filter(rows[c..], ow), Filter(rows[(plane + c)..], ow), Filter(rows[(2 * plane + c)..], ow),
                Filter(rows[(3 * plane + c)..], ow), Filter(rows[(4 * plane + c)..], ow), c1, c2);
        }
    }

    private static double SsimValue(double mx, double my, double uxx, double uyy, double uxy, double c1, double c2)
    {
        double vx = uxx - mx * mx;
        double vy = uyy - my * my;
        double vxy = uxy - mx * my;
        double numerator = (2 * mx * my + c1) * (2 * vxy + c2);
        double denominator = (mx * mx + my * my + c1) * (vx + vy + c2);
        return numerator / denominator;
    }

    /// <summary>
    /// The 6 distinct Gaussian weights (k0 = k10, ..., k4 = k6, k5), each broadcast to a vector. The
    /// filtering loops hold them in locals and pass them to the inlined vector Filter so the JIT keeps
    /// them in registers. Read from a struct or an array, each weight is one more load per tap.
    /// </summary>
    private static (Vector<double>, Vector<double>, Vector<double>, Vector<double>, Vector<double>, Vector<double>) Weights()
    {
        double[] k = SsimWindow;
        return (new(k[0]), new(k[1]), new(k[2]), new(k[3]), new(k[4]), new(k[5]));
    }

    /// <summary>
    /// sum over taps t of x[t * stride] * k[t], lane-wise, with the symmetric taps paired:
    /// k5 x5, then + k_t (x_t + x_(10-t)) for t = 4 down to 0, each a fused multiply-add.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Filter(ref double x, int stride,
        Vector<double> k0, Vector<double> k1, Vector<double> k2, Vector<double> k3, Vector<double> k4, Vector<double> k5)
    {
        nuint s = (nuint)stride;
        var acc = Vector.LoadUnsafe(ref x, 5 * s) * k5;
        acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref x, 4 * s) + Vector.LoadUnsafe(ref x, 6 * s), k4, acc);
        acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref x, 3 * s) + Vector.LoadUnsafe(ref x, 7 * s), k3, acc);
        acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref x, 2 * s) + Vector.LoadUnsafe(ref x, 8 * s), k2, acc);
        acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref x, s) + Vector.LoadUnsafe(ref x, 9 * s), k1, acc);
        acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref x) + Vector.LoadUnsafe(ref x, 10 * s), k0, acc);
        return acc;
    }

    /// <summary>The scalar filter for the columns a vector does not cover, in the same order and rounding as the vector one.</summary>
    private static double Filter(ReadOnlySpan<double> x, int stride)
    {
        double[] k = SsimWindow;
        double acc = x[5 * stride] * k[5];
        for (int t = 4; t >= 0; t--) acc = Math.FusedMultiplyAdd(x[t * stride] + x[(10 - t) * stride], k[t], acc);
        return acc;
    }

    /// <summary>scipy.ndimage's Gaussian kernel: exp(-x^2 / (2 sigma^2)) on [-r, r], normalised.</summary>
    private static double[] GaussianWindow(double sigma, int radius)
    {
        var kernel = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++)
        {
            kernel[i + radius] = Math.Exp(-0.5 / (sigma * sigma) * i * i);
            sum += kernel[i + radius];
        }
        for (int i = 0; i < kernel.Length; i++) kernel[i] /= sum;
        return kernel;
    }

    private static void CheckSameSize(RgbImage a, RgbImage b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Width != b.Width || a.Height != b.Height)
            throw new ArgumentException($"images differ in size: {a.Width}x{a.Height} vs {b.Width}x{b.Height}");
    }
}
