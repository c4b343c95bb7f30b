using System.Numerics.Tensors;

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
    private static readonly int SsimRadius = (int)(SsimTruncate * SsimSigma + 0.5);
    private static readonly double[] SsimWindow = GaussianWindow(SsimSigma, SsimRadius);

    /// <summary>Mean of the squared differences over all RGB values.</summary>
    public static double MeanSquaredError(RgbImage a, RgbImage b)
    {
        CheckSameSize(a, b);
        byte[] x = a.Pixels, y = b.Pixels;
        long sum = 0; // exact: at most 65025 per value
        for (int i = 0; i < x.Length; i++)
        {
            int d = x[i] - y[i];
            sum += d * d;
        }
        return (double)sum / x.Length;
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
    public static double Ssim(RgbImage a, RgbImage b)
    {
        CheckSameSize(a, b);
        int w = a.Width, h = a.Height, r = SsimRadius, win = 2 * r + 1;
        if (w < win || h < win)
            throw new ArgumentException($"SSIM needs images of at least {win}x{win} pixels; these are {w}x{h}");

        int ow = w - 2 * r, oh = h - 2 * r; // valid (cropped) area
        int n = w * h;
        // Per channel: x, y and the products xx, yy, xy; each is filtered separably, rows
        // first (valid columns only), then columns (valid rows only).
        var planes = new double[5][];
        var rowPass = new double[5][];
        var colPass = new double[5][];
        for (int m = 0; m < 5; m++)
        {
            planes[m] = new double[n];
            rowPass[m] = new double[h * ow];
            colPass[m] = new double[ow];
        }
        double c1 = (K1 * DataRange) * (K1 * DataRange);
        double c2 = (K2 * DataRange) * (K2 * DataRange);
        double[] k = SsimWindow;

        double total = 0;
        for (int channel = 0; channel < 3; channel++)
        {
            double[] x = planes[0], y = planes[1];
            for (int i = 0, j = channel; i < n; i++, j += 3)
            {
                x[i] = a.Pixels[j];
                y[i] = b.Pixels[j];
            }
            TensorPrimitives.Multiply(x, x, planes[2]);
            TensorPrimitives.Multiply(y, y, planes[3]);
            TensorPrimitives.Multiply(x, y, planes[4]);

            for (int m = 0; m < 5; m++)
            {
                double[] src = planes[m];
                Span<double> dst = rowPass[m];
                dst.Clear();
                for (int row = 0; row < h; row++)
                {
                    Span<double> outRow = dst.Slice(row * ow, ow);
                    for (int t = 0; t < win; t++)
                        TensorPrimitives.MultiplyAdd(src.AsSpan(row * w + t, ow), k[t], outRow, outRow);
                }
            }

            double channelSum = 0;
            for (int row = 0; row < oh; row++)
            {
                for (int m = 0; m < 5; m++)
                {
                    Span<double> acc = colPass[m];
                    acc.Clear();
                    for (int t = 0; t < win; t++)
                        TensorPrimitives.MultiplyAdd(rowPass[m].AsSpan((row + t) * ow, ow), k[t], acc, acc);
                }
                double[] ux = colPass[0], uy = colPass[1], uxx = colPass[2], uyy = colPass[3], uxy = colPass[4];
                for (int col = 0; col < ow; col++)
                {
                    double mx = ux[col], my = uy[col];
                    double vx = uxx[col] - mx * mx;
                    double vy = uyy[col] - my * my;
                    double vxy = uxy[col] - mx * my;
                    double numerator = (2 * mx * my + c1) * (2 * vxy + c2);
                    double denominator = (mx * mx + my * my + c1) * (vx + vy + c2);
                    channelSum += numerator / denominator;
                }
            }
            total += channelSum / ((double)ow * oh);
        }
        return total / 3.0;
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
