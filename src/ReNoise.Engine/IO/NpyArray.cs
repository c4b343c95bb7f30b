namespace ReNoise.Engine.IO;

/// <summary>
/// A float32 array as NumPy's .npy files hold it: flat data in C order and its shape. Writing gives
/// the bytes numpy.save writes, so latents and noise maps can be compared with Python.
/// </summary>
public sealed class NpyArray
{
    public float[] Data { get; }
    public int[] Shape { get; }

    public NpyArray(float[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d} in shape", nameof(shape));
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {count} values, data has {data.Length}", nameof(data));
        Data = data;
        Shape = shape;
    }

    /// <summary>
    /// Reads a little-endian float32 file (float64 and float16 files are converted); anything else is
    /// a <see cref="ReNoiseInputException"/> naming the file.
    /// </summary>
    public static NpyArray Read(string path) => Npy.Read(path);

    /// <summary>Writes float32 data ('&lt;f4', C order) with the given shape.</summary>
    public static void Write(string path, ReadOnlySpan<float> data, ReadOnlySpan<int> shape) => Npy.Write(path, data, shape);

    /// <summary>
    /// Parses the bytes of a .npy file (as <see cref="Read"/> does a file); <paramref name="name"/> names
    /// it in the <see cref="ReNoiseInputException"/> a malformed one raises.
    /// </summary>
    public static NpyArray Parse(ReadOnlySpan<byte> bytes, string name) => Npy.Parse(bytes, name);

    /// <summary>The bytes of a float32 .npy file of this array, as <see cref="Write"/> writes them.</summary>
    public byte[] ToBytes()
    {
        byte[] header = Npy.Float32Header(Shape);
        var bytes = new byte[header.Length + Data.Length * sizeof(float)];
        header.CopyTo(bytes, 0);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(Data.AsSpan()).CopyTo(bytes.AsSpan(header.Length));
        return bytes;
    }

    /// <summary>The .npy header of a float32 array of <paramref name="shape"/>: prepend it to the little-endian data.</summary>
    public static byte[] Float32Header(ReadOnlySpan<int> shape) => Npy.Float32Header(shape);
}
