using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Models;

/// <summary>
/// The UNet as the pipeline sees it: one call evaluates a batch of latents (already scaled as the
/// scheduler asks) at one timestep, element b conditioned on <c>conditioning[b]</c>.
/// One call is one model evaluation (one NFE), whatever the batch size.
/// </summary>
internal interface INoisePredictor
{
    /// <param name="samples">batch x latent, flat, C order.</param>
    /// <param name="conditioning">one embedding per batch element.</param>
    /// <param name="output">batch x latent: the raw model output (epsilon or v).</param>
    void Predict(ReadOnlySpan<float> samples, LatentShape shape, int timestep,
        ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output);
}
