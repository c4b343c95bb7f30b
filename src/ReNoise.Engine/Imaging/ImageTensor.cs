using System.Numerics;
using System.Numerics.Tensors;

namespace ReNoise.Engine.Imaging;

/// <summary>
/// Conversion between 8-bit RGB pixels and the VAE's tensors: NCHW RGB, batch 1, values
/// x / 127.5 - 1 in [-1, 1] (spec §7).
/// </summary>
internal static class ImageTensor
{
    /// <summary>Pixels per block: a block's planes (bytes, and floats while converting) stay in the L1 cache.</summary>
    private const int Block = 256;

    /// <summary>Writes <paramref name="image"/> as a [1, 3, H, W] tensor into <paramref name="destination"/>.</summary>
    public static void ToNchw(RgbImage image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        int plane = image.Width * image.Height;
        if (destination.Length != 3 * plane)
            throw new ArgumentException($"destination has {destination.Length} elements; a {image.Width}x{image.Height} image needs {3 * plane}", nameof(destination));
        ReadOnlySpan<byte> src = image.Pixels;
        Span<byte> planes = stackalloc byte[3 * Block];
        for (int start = 0; start < plane; start += Block)
        {
            int count = Math.Min(Block, plane - start);
            Span<byte> red = planes[..count], green = planes.Slice(Block, count), blue = planes.Slice(2 * Block, count);
            RgbPlanes.ToPlanes(src.Slice(3 * start, 3 * count), red, green, blue);
            Normalize(red, destination.Slice(start, count));
            Normalize(green, destination.Slice(plane + start, count));
            Normalize(blue, destination.Slice(2 * plane + start, count));
        }
    }

    /// <summary>x / 127.5 - 1 in float, as the per-value formula <c>b / 127.5f - 1f</c> (each step rounded alike).</summary>
    private static void Normalize(ReadOnlySpan<byte> bytes, Span<float> values)
    {
        TensorPrimitives.ConvertChecked(bytes, values); // exact
        TensorPrimitives.Divide(values, 127.5f, values);
        TensorPrimitives.Subtract(values, 1f, values);
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
        Span<byte> dst = image.Pixels;
        Span<byte> planes = stackalloc byte[3 * Block];
        for (int start = 0; start < plane; start += Block)
        {
            int count = Math.Min(Block, plane - start);
            Span<byte> red = planes[..count], green = planes.Slice(Block, count), blue = planes.Slice(2 * Block, count);
            ToBytes(source.Slice(start, count), red);
            ToBytes(source.Slice(plane + start, count), green);
            ToBytes(source.Slice(2 * plane + start, count), blue);
            RgbPlanes.FromPlanes(red, green, blue, dst.Slice(3 * start, 3 * count));
        }
        return image;
    }

    /// <summary><see cref="ToByte"/> of every value, vectorized where the hardware allows.</summary>
    private static void ToBytes(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // Four float vectors narrow to one byte vector (int -> short -> byte; the values fit).
            int step = Vector<byte>.Count;
            int floats = Vector<float>.Count;
            for (; i <= values.Length - step; i += step)
            {
                var low = Vector.Narrow(Rounded(values[i..]), Rounded(values[(i + floats)..]));
                var high = Vector.Narrow(Rounded(values[(i + 2 * floats)..]), Rounded(values[(i + 3 * floats)..]));
                Vector.AsVectorByte(Vector.Narrow(Vector.AsVectorUInt16(low), Vector.AsVectorUInt16(high))).CopyTo(bytes[i..]);
            }
        }
        for (; i < values.Length; i++) bytes[i] = ToByte(values[i]);
    }

    /// <summary><see cref="ToByte"/> of the first <see cref="Vector{T}.Count"/> values, as ints.</summary>
    private static Vector<int> Rounded(ReadOnlySpan<float> values)
    {
        var x = new Vector<float>(values);
        var one = Vector<float>.One;
        // ToByte's comparisons lane by lane: NaN fails both and lands on -1.
        var clamped = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, -one),
            Vector.ConditionalSelect(Vector.LessThanOrEqual(x, one), x, one), -one);
        // Vector.Round rounds half to even, as MathF.Round(MidpointRounding.ToEven); the values are
        // whole numbers in [0, 255] after it, so the conversion is exact.
        return Vector.ConvertToInt32(Vector.Round((clamped + one) * new Vector<float>(127.5f)));
    }

    private static byte ToByte(float x)
    {
        // Written with comparisons so that NaN (all comparisons false) lands on -1.
        float clamped = x >= -1f ? (x <= 1f ? x : 1f) : -1f;
        return (byte)MathF.Round((clamped + 1f) * 127.5f, MidpointRounding.ToEven);
    }
}
