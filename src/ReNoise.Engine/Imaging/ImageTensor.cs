namespace ReNoise.Engine.Imaging;

/// <summary>
/// Conversion between 8-bit RGB pixels and the VAE's tensors: NCHW RGB, batch 1, values
/// x / 127.5 - 1 in [-1, 1] (spec §7).
/// </summary>
internal static class ImageTensor
{
    /// <summary>Writes <paramref name="image"/> as a [1, 3, H, W] tensor into <paramref name="destination"/>.</summary>
    public static void ToNchw(RgbImage image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        int plane = image.Width * image.Height;
        if (destination.Length != 3 * plane)
            throw new ArgumentException($"destination has {destination.Length} elements; a {image.Width}x{image.Height} image needs {3 * plane}", nameof(destination));
        ReadOnlySpan<byte> src = image.Pixels;
        Span<float> r = destination[..plane], g = destination.Slice(plane, plane), b = destination.Slice(2 * plane, plane);
        for (int i = 0, j = 0; i < plane; i++, j += 3)
        {
            r[i] = src[j] / 127.5f - 1f;
            g[i] = src[j + 1] / 127.5f - 1f;
            b[i] = src[j + 2] / 127.5f - 1f;
        }
    }

    /// <summary>
    /// Reads a [1, 3, H, W] tensor back to bytes: clamp to [-1, 1], then (x + 1) * 127.5
    /// rounded to nearest (ties to even, as numpy's round in diffusers). NaN becomes 0.
    /// </summary>
    public static RgbImage FromNchw(ReadOnlySpan<float> source, int width, int height)
    {
        var image = new RgbImage(width, height);
        int plane = width * height;
        if (source.Length != 3 * plane)
            throw new ArgumentException($"source has {source.Length} elements; a {width}x{height} image needs {3 * plane}", nameof(source));
        byte[] dst = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            ReadOnlySpan<float> channel = source.Slice(c * plane, plane);
            for (int i = 0, j = c; i < plane; i++, j += 3)
                dst[j] = ToByte(channel[i]);
        }
        return image;
    }

    private static byte ToByte(float x)
    {
        // Written with comparisons so that NaN (all comparisons false) lands on -1.
        float clamped = x >= -1f ? (x <= 1f ? x : 1f) : -1f;
        return (byte)MathF.Round((clamped + 1f) * 127.5f, MidpointRounding.ToEven);
    }
}
