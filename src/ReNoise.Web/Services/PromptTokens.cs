using System.Globalization;

namespace ReNoise.Web.Services;

/// <summary>How many tokens a prompt has and how many the model's text encoder reads (CLIP: 75 between its start and end tokens).</summary>
public sealed record PromptTokenCount(int Tokens, int Limit)
{
    public bool Truncated => Tokens > Limit;

    /// <summary>"12 of 75 tokens", or what happens to the rest when over.</summary>
    public string Text => Truncated
        ? string.Create(CultureInfo.InvariantCulture, $"{Tokens} of {Limit} tokens: the model reads only the first {Limit} (77 with its start and end tokens); the rest of the prompt is ignored")
        : string.Create(CultureInfo.InvariantCulture, $"{Tokens} of {Limit} tokens");
}

/// <summary>Counts prompt tokens with the model's own tokenizer, as the engine's plan does, while the user types.</summary>
public sealed class PromptTokenCounter(IModelCatalog catalog)
{
    /// <summary>Null when the model is not configured or cannot load (the form says so elsewhere).</summary>
    public PromptTokenCount? Count(string model, string? prompt)
    {
        if (catalog.Find(model) is null) return null;
        try
        {
            using var lease = catalog.Acquire(model);
            var (tokens, limit) = lease.Model.CountPromptTokens(prompt ?? "");
            return new PromptTokenCount(tokens, limit);
        }
        catch (ReNoise.Engine.ReNoiseInputException)
        {
            return null;
        }
    }
}
