namespace ReNoise.Engine.Models;

/// <summary>
/// A prompt encoded for the UNet (batch 1): <c>encoder_hidden_states</c> [1, SequenceLength, HiddenSize]
/// and, for SDXL, the pooled <c>text_embeds</c> [1, PooledSize]. Immutable once built.
/// </summary>
internal sealed class PromptEmbeddings
{
    public PromptEmbeddings(float[] hiddenStates, int sequenceLength, int hiddenSize, float[]? pooled = null)
    {
        if (hiddenStates.Length != sequenceLength * hiddenSize)
            throw new ArgumentException("hidden states length does not match sequence length x hidden size");
        HiddenStates = hiddenStates;
        SequenceLength = sequenceLength;
        HiddenSize = hiddenSize;
        Pooled = pooled;
    }

    public float[] HiddenStates { get; }
    public int SequenceLength { get; }
    public int HiddenSize { get; }
    public float[]? Pooled { get; }

    /// <summary>True when the prompt was longer than the tokenizer's context and was cut.</summary>
    public bool Truncated { get; init; }

    /// <summary>All-zero embeddings of the same shape (SDXL's force_zeros_for_empty_prompt).</summary>
    public PromptEmbeddings Zeros() =>
        new(new float[HiddenStates.Length], SequenceLength, HiddenSize, Pooled is null ? null : new float[Pooled.Length]);
}
