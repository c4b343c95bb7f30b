using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ReNoise.Data;

/// <summary>
/// Float tensors as database blobs: little-endian float32, C order, with the shape kept beside
/// them as a comma-separated string ("1,4,64,64").
/// </summary>
public static class FloatBlob
{
    public static byte[] ToBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[checked(values.Length * sizeof(float))];
        MemoryMarshal.AsBytes(values).CopyTo(bytes);
        if (!BitConverter.IsLittleEndian)
        {
            var words = MemoryMarshal.Cast<byte, int>(bytes.AsSpan());
            BinaryPrimitives.ReverseEndianness(words, words);
        }
        return bytes;
    }

    public static float[] ToFloats(byte[] bytes) => ToFloats(bytes.AsSpan());

    public static float[] ToFloats(ReadOnlySpan<byte> bytes)
    {
        var values = new float[CountOf(bytes)];
        CopyTo(bytes, values);
        return values;
    }

    /// <summary>Decodes into a caller-owned buffer (e.g. a preallocated latent) without allocating.</summary>
    public static void CopyTo(ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        int count = CountOf(bytes);
        if (destination.Length != count)
            throw new ArgumentException($"Blob holds {count} floats but the destination has {destination.Length}.", nameof(destination));
        bytes.CopyTo(MemoryMarshal.AsBytes(destination));
        if (!BitConverter.IsLittleEndian)
        {
            var words = MemoryMarshal.Cast<float, int>(destination);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
    }

    /// <summary>"1,4,64,64" for [1, 4, 64, 64]; the empty string for a shape of no dimensions.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0) throw new ArgumentOutOfRangeException(nameof(shape), $"Dimension {i} is negative ({shape[i]}).");
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }
        return string.Join(',', parts);
    }

    /// <summary>Inverse of <see cref="FormatShape"/>. Throws <see cref="FormatException"/> on anything else.</summary>
    public static int[] ParseShape(string shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0) return [];
        var parts = shape.Split(',');
        var dims = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]))
                throw new FormatException($"Shape '{shape}' is not a comma-separated list of non-negative integers.");
        }
        return dims;
    }

    /// <summary>Number of elements a shape holds (1 for no dimensions, as for a scalar).</summary>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n = checked(n * d);
        return n;
    }

    /// <summary>True when <paramref name="bytes"/> is exactly one float32 per element of <paramref name="shape"/>.</summary>
    public static bool Matches(ReadOnlySpan<byte> bytes, string shape)
        => shape.Length == 0 ? bytes.Length == 0 : bytes.Length == ElementCount(ParseShape(shape)) * sizeof(float);

    private static int CountOf(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
            throw new ArgumentException($"Blob length {bytes.Length} is not a multiple of 4 bytes.", nameof(bytes));
        return bytes.Length / sizeof(float);
    }
}
