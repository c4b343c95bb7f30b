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
    /// that ring: about 440 KB of scratch (it stays in the L2 cache) instead of full-size planes of
    /// every moment (20 MB for 512x512). Each output is accumulated in a register over the 11 taps
    /// rather than by 11 passes over a row. Every sum runs in the same order as the straightforward
    /// version (taps in order, map values in row-major order), so the result is bit-identical to it.
    /// The three channels run in parallel (each with its own scratch); their sums are added in
    /// channel order.
    /// </remarks>
    public static double Ssim(RgbImage a, RgbImage b)
    {
        CheckSameSize(a, b);
        int w = a.Width, h = a.Height;
        if (w < SsimTaps || h < SsimTaps)
            throw new ArgumentException($"SSIM needs images of at least {SsimTaps}x{SsimTaps} pixels; these are {w}x{h}");

        int ow = w - 2 * SsimRadius, oh = h - 2 * SsimRadius; // valid (cropped) area
        int n = w * h;
        byte[] planes = ArrayPool<byte>.Shared.Rent(6 * n); // a's R, G, B planes, then b's
        try
        {
            RgbPlanes.ToPlanes(a.Pixels, planes.AsSpan(0, n), planes.AsSpan(n, n), planes.AsSpan(2 * n, n));
            RgbPlanes.ToPlanes(b.Pixels, planes.AsSpan(3 * n, n), planes.AsSpan(4 * n, n), planes.AsSpan(5 * n, n));
            // The channels' sums are independent: computed in parallel, added in channel order as before.
            var sums = new double[3];
            Parallel.For(0, 3, channel => sums[channel] = SsimSum(planes.AsSpan(channel * n, n), planes.AsSpan((3 + channel) * n, n), w, h));
            double total = 0;
            foreach (double sum in sums) total += sum / ((double)ow * oh);
            return total / 3.0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(planes);
        }
    }

    /// <summary>x, y, x², y², xy.</summary>
    private const int Moments = 5;

    /// <summary>
    /// The sum of one channel's SSIM map over the valid area, in row-major order, from the channel's
    /// planes <paramref name="a"/> and <paramref name="b"/>. <paramref name="sources"/> receives an image row's moments (5 rows of w);
    /// <paramref name="ring"/> their row-filtered rows: moment m of image row i is written to slots
    /// i % 11 and i % 11 + 11 of moment m's 22 rows, so the 11 rows an output row needs always lie
    /// back to back (from slot (i - 10) % 11 on) and one stride walks them.
    /// </summary>
    private static double SsimSum(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int w, int h)
    {
        double[] sources = ArrayPool<double>.Shared.Rent(Moments * w);
        double[] ring = ArrayPool<double>.Shared.Rent(Moments * 2 * SsimTaps * (w - 2 * SsimRadius));
        try
        {
            return SsimSum(a, b, w, h, sources, ring);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(sources);
            ArrayPool<double>.Shared.Return(ring);
        }
    }

    private static double SsimSum(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int w, int h, double[] sources, double[] ring)
    {
        int ow = w - 2 * SsimRadius;
        int plane = 2 * SsimTaps * ow; // one moment's ring
        double c1 = (K1 * DataRange) * (K1 * DataRange);
        double c2 = (K2 * DataRange) * (K2 * DataRange);
        double sum = 0;
        for (int row = 0; row < h; row++)
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
            if (row >= SsimTaps - 1)
                sum = AddSsimRow(ring.AsSpan(((row + 1) % SsimTaps) * ow), plane, ow, c1, c2, sum);
        }
        return sum;
    }

    /// <summary>
    /// destination[c] = sum over taps t of source[c + t] * k[t], accumulated from 0 in tap order
    /// (as repeated <c>TensorPrimitives.MultiplyAdd</c> passes would), written to both ring slots.
    /// </summary>
    private static void FilterRow(ReadOnlySpan<double> source, Span<double> destination, Span<double> copy)
    {
        ref double src = ref MemoryMarshal.GetReference(source);
        ref double dst = ref MemoryMarshal.GetReference(destination);
        ref double dst2 = ref MemoryMarshal.GetReference(copy);
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10) = Weights();
            for (; c <= destination.Length - Vector<double>.Count; c += Vector<double>.Count)
            {
                var filtered = Filter(ref Unsafe.Add(ref src, c), 1, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10);
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
    /// map along it and adds it to <paramref name="sum"/> value by value, left to right.
    /// </summary>
    private static double AddSsimRow(ReadOnlySpan<double> rows, int plane, int ow, double c1, double c2, double sum)
    {
        ref double first = ref MemoryMarshal.GetReference(rows);
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10) = Weights();
            Span<double> ratios = stackalloc double[Vector<double>.Count];
            var two = new Vector<double>(2.0);
            var vc1 = new Vector<double>(c1);
            var vc2 = new Vector<double>(c2);
            for (; c <= ow - Vector<double>.Count; c += Vector<double>.Count)
            {
                ref double at = ref Unsafe.Add(ref first, c);
                var ux = Filter(ref at, ow, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10);
                var uy = Filter(ref Unsafe.Add(ref at, plane), ow, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10);
                var uxx = Filter(ref Unsafe.Add(ref at, 2 * plane), ow, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10);
                var uyy = Filter(ref Unsafe.Add(ref at, 3 * plane), ow, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10);
                var uxy = Filter(ref Unsafe.Add(ref at, 4 * plane), ow, k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10);
                // SsimValue lane by lane, in the same operation order.
                Vector<double> vx = uxx - ux * ux, vy = uyy - uy * uy, vxy = uxy - ux * uy;
                var numerator = (two * ux * uy + vc1) * (two * vxy + vc2);
                var denominator = (ux * ux + uy * uy + vc1) * (vx + vy + vc2);
                (numerator / denominator).CopyTo(ratios);
                foreach (double ratio in ratios) sum += ratio;
            }
        }
        for (; c < ow; c++)
        {
            sum += SsimValue(Filter(rows[c..], ow), Filter(rows[(plane + c)..], ow), Filter(rows[(2 * plane + c)..], ow),
                Filter(rows[(3 * plane + c)..], ow), Filter(rows[(4 * plane + c)..], ow), c1, c2);
        }
        return sum;
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
    /// The 11 Gaussian weights, each broadcast to a vector. The filtering loops hold them in locals
    /// and pass them to <see cref="Filter(ref double, int, Vector{double}, Vector{double}, Vector{double}, Vector{double}, Vector{double}, Vector{double}, Vector{double}, Vector{double}, Vector{double}, Vector{double}, Vector{double})"/>
    /// (inlined) so the JIT keeps them in registers: an output is then 11 loads, multiplies and adds.
    /// Read from a struct or an array, each weight is one more load per tap (measured about 1.5x slower).
    /// </summary>
    private static (Vector<double>, Vector<double>, Vector<double>, Vector<double>, Vector<double>, Vector<double>,
        Vector<double>, Vector<double>, Vector<double>, Vector<double>, Vector<double>) Weights()
    {
        double[] k = SsimWindow;
        return (new(k[0]), new(k[1]), new(k[2]), new(k[3]), new(k[4]), new(k[5]), new(k[6]), new(k[7]), new(k[8]), new(k[9]), new(k[10]));
    }

    /// <summary>
    /// sum over taps t of x[t * stride] * k[t], lane-wise, added in tap order. The sum starts at the
    /// first product rather than at 0: all terms are non-negative (pixel moments and their filtered
    /// values), and 0 + p == p for p &gt;= 0, so this is the sum accumulated from 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Filter(ref double x, int stride,
        Vector<double> k0, Vector<double> k1, Vector<double> k2, Vector<double> k3, Vector<double> k4, Vector<double> k5,
        Vector<double> k6, Vector<double> k7, Vector<double> k8, Vector<double> k9, Vector<double> k10)
    {
        nuint s = (nuint)stride;
        var acc = Vector.LoadUnsafe(ref x) * k0;
        acc += Vector.LoadUnsafe(ref x, s) * k1;
        acc += Vector.LoadUnsafe(ref x, 2 * s) * k2;
        acc += Vector.LoadUnsafe(ref x, 3 * s) * k3;
        acc += Vector.LoadUnsafe(ref x, 4 * s) * k4;
        acc += Vector.LoadUnsafe(ref x, 5 * s) * k5;
        acc += Vector.LoadUnsafe(ref x, 6 * s) * k6;
        acc += Vector.LoadUnsafe(ref x, 7 * s) * k7;
        acc += Vector.LoadUnsafe(ref x, 8 * s) * k8;
        acc += Vector.LoadUnsafe(ref x, 9 * s) * k9;
        acc += Vector.LoadUnsafe(ref x, 10 * s) * k10;
        return acc;
    }

    /// <summary>The scalar filter for the columns a vector does not cover, in the same order.</summary>
    private static double Filter(ReadOnlySpan<double> x, int stride)
    {
        double[] k = SsimWindow;
        double acc = 0;
        for (int t = 0; t < k.Length; t++) acc += x[t * stride] * k[t];
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
