using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Inversion;

/// <summary>
/// A stand-in UNet with a closed form: the Gaussian-prior noise estimate sqrt(1 - a_t) x_t plus a
/// small nonlinear term, so the implicit inverse step is a genuine fixed-point problem. Records
/// every call's batch size and timestep.
/// </summary>
internal sealed class AnalyticDenoiser(IReadOnlyList<double> alphasCumprod, float nonlinearity = 0.1f) : INoisePredictor
{
    public List<(int Batch, int Timestep)> Calls { get; } = [];

    public void Predict(ReadOnlySpan<float> samples, LatentShape shape, int timestep, ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output)
    {
        int batch = conditioning.Length;
        Assert.Equal(batch * shape.Length, samples.Length);
        Calls.Add((batch, timestep));
        float s = (float)Math.Sqrt(1 - alphasCumprod[timestep]);
        for (int b = 0; b < batch; b++)
        {
            // The prompt shifts the prediction a little, as a text-conditioned UNet would.
            float bias = 0.01f * conditioning[b].HiddenStates[0];
            for (int i = 0; i < shape.Length; i++)
            {
                float x = samples[b * shape.Length + i];
                output[b * shape.Length + i] = s * x + nonlinearity * MathF.Tanh(x) + bias;
            }
        }
    }

    public static PromptEmbeddings Prompt(float value) => new(Enumerable.Repeat(value, 8).ToArray(), 2, 4);
}
