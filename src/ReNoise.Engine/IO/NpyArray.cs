namespace ReNoise.Engine.IO;

/// <summary>A float32 array read from a .npy file: flat data in C order and its shape.</summary>
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
}
