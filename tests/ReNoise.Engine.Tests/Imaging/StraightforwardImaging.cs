using System.Numerics.Tensors;
using ReNoise.Engine.Imaging;

namespace ReNoise.Engine.Tests.Imaging;

// The image conversions and metrics as first written: scalar loops and full-size planes. Kept
// verbatim as the yardstick the optimized engine code is pinned to bit for bit
// (StraightforwardImagingTests); not used by the engine.
internal static class StraightforwardImaging
{
    private const double DataRange = 255.0;
    private const double SsimSigma = 1.5;
    private const double SsimTruncate = 3.5;
    private const double K1 = 0.01, K2 = 0.03;
    private static readonly int SsimRadius = (int)(SsimTruncate * SsimSigma + 0.5);
    private static readonly double[] SsimWindow = GaussianWindow(SsimSigma, SsimRadius);

    public static void ToNchw(RgbImage image, Span<float> destination)
    {
        int plane = image.Width * image.Height;
        ReadOnlySpan<byte> src = image.Pixels;
        Span<float> r = destination[..plane], g = destination.Slice(plane, plane), b = destination.Slice(2 * plane, plane);
        for (int i = 0, j = 0; i < plane; i++, j += 3)
        {
            r[i] = src[j] / 127.5f - 1f;
            g[i] = src[j + 1] / 127.5f - 1f;
            b[i] = src[j + 2] / 127.5f - 1f;
        }
    }

    public static RgbImage FromNchw(ReadOnlySpan<float> source, int width, int height)
    {
        var image = new RgbImage(width, height);
        int plane = width * height;
        byte[] dst = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            ReadOnlySpan<float> channel = source.Slice(c * plane, plane);
            for (int i = 0, j = c; i < plane; i++, j += 3)
                dst[j] = ToByte(channel[i]);
        }
        return image;
    }

    public static byte ToByte(float x)
    {
        float clamped = x >= -1f ? (x <= 1f ? x : 1f) : -1f;
        return (byte)MathF.Round((clamped + 1f) * 127.5f, MidpointRounding.ToEven);
    }

    public static double MeanSquaredError(RgbImage a, RgbImage b)
    {
        byte[] x = a.Pixels, y = b.Pixels;
        long sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int d = x[i] - y[i];
            sum += d * d;
        }
        return (double)sum / x.Length;
    }

    public static double Ssim(RgbImage a, RgbImage b)
    {
        int w = a.Width, h = a.Height, r = SsimRadius, win = 2 * r + 1;
        int ow = w - 2 * r, oh = h - 2 * r;
        int n = w * h;
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
}
