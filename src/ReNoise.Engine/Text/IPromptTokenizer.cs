namespace ReNoise.Engine.Text;

/// <summary>A prompt turned into the fixed-length id sequence a CLIP text encoder takes.</summary>
/// <param name="Ids">Exactly <see cref="IPromptTokenizer.MaxLength"/> ids: start token, prompt tokens, end token, padding.</param>
/// <param name="TokenCount">Prompt tokens before truncation (start/end tokens not counted).</param>
/// <param name="Truncated">True when prompt tokens had to be dropped to fit.</param>
internal sealed record ClipTokenization(int[] Ids, int TokenCount, bool Truncated);

/// <summary>What the text-encoder side needs of a tokenizer (one per text encoder).</summary>
internal interface IPromptTokenizer
{
    /// <summary>Context length (77 for CLIP).</summary>
    int MaxLength { get; }

    ClipTokenization Encode(string prompt);
}
