using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>
/// The per-step noise maps of an inversion with a stochastic sampler (spec §4): one latent-shaped
/// map per inverted step, in sampling order (map k belongs to step StartIndex + k), stored
/// contiguously as [Count, 1, C, h, w]. Deterministic samplers have none (<see cref="Count"/> 0).
/// </summary>
public sealed class NoiseMaps
{
    /// <summary>Wraps <paramref name="data"/> (not copied), which must hold <paramref name="count"/> maps of <paramref name="shape"/>.</summary>
    public NoiseMaps(LatentShape shape, int count, float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)count * shape.Length != data.Length)
            throw new ArgumentException($"{count} maps of shape {shape} hold {(long)count * shape.Length} values, got {data.Length}", nameof(data));
        Shape = shape;
        Count = count;
        Data = data;
    }

    /// <summary><paramref name="count"/> maps of zeros.</summary>
    public NoiseMaps(LatentShape shape, int count) : this(shape, count, new float[checked(count * shape.Length)]) { }

    /// <summary>No maps (a deterministic sampler).</summary>
    public static NoiseMaps None(LatentShape shape) => new(shape, 0, []);

    public LatentShape Shape { get; }
    public int Count { get; }

    /// <summary>All maps, flat, in sampling order.</summary>
    public float[] Data { get; }

    /// <summary>Map <paramref name="k"/> (sampling order).</summary>
    public Span<float> this[int k]
    {
        get
        {
            if ((uint)k >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(k), $"map {k} of {Count}");
            return Data.AsSpan(k * Shape.Length, Shape.Length);
        }
    }

    /// <summary>The .npy shape of <see cref="Data"/>: [Count, 1, C, h, w].</summary>
    public int[] ArrayShape => [Count, 1, Shape.Channels, Shape.Height, Shape.Width];

    /// <summary>A copy that later changes to these maps do not reach.</summary>
    public NoiseMaps Clone() => new(Shape, Count, (float[])Data.Clone());
}
