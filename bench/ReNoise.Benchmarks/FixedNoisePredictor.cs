using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;

namespace ReNoise.Benchmarks;

/// <summary>
/// A "UNet" that costs next to nothing: every batch element's output is a copy of one stored
/// Gaussian map (a 64 KB memcpy for a 4x64x64 latent), so a benchmark through it measures the
/// engine's own work. The map is realistic noise, so the regularizer sees the statistics it would.
/// </summary>
internal sealed class FixedNoisePredictor(float[] noise) : INoisePredictor
{
    public float[] Noise { get; } = noise;

    public void Predict(ReadOnlySpan<float> samples, LatentShape shape, int timestep,
        ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output)
    {
        for (int b = 0; b < conditioning.Length; b++)
            Noise.AsSpan(0, shape.Length).CopyTo(output.Slice(b * shape.Length, shape.Length));
    }

    public static float[] Gaussian(int length, int seed)
    {
        var values = new float[length];
        new SeededRandom(seed).FillGaussian(values);
        return values;
    }

    /// <summary>A small stand-in prompt; the fixed predictor ignores it.</summary>
    public static PromptEmbeddings Prompt() => new(new float[77 * 8], 77, 8);
}
