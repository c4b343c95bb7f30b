using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace ReNoise.Engine.Text;

/// <summary>
/// CLIP's byte-level BPE tokenizer (OpenAI simple_tokenizer / diffusers CLIPTokenizer) for one
/// text encoder: start token, prompt tokens truncated to <see cref="MaxLength"/> - 2, end token,
/// padding with the model's pad token.
/// </summary>
/// <remarks>
/// The merges run in Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> (byte level, "&lt;/w&gt;"
/// end-of-word suffix, its own per-word cache). Text preparation and the split pattern are
/// CLIP-specific and live in <see cref="ClipNormalizer"/> and <see cref="ClipPreTokenizer"/>.
/// Thread-safe: <see cref="Encode"/> keeps no per-call state on the instance.
/// </remarks>
internal sealed class ClipTokenizer : IPromptTokenizer
{
    /// <summary>CLIP's context length, used when tokenizer_config.json does not give one.</summary>
    public const int DefaultMaxLength = 77;

    public const string StartOfTextToken = ClipPreTokenizer.StartOfText;
    public const string EndOfTextToken = ClipPreTokenizer.EndOfText;

    // transformers writes this sentinel (int(1e30)) when a tokenizer has no length limit.
    private const double UnsetMaxLengthThreshold = 1e9;

    private readonly BpeTokenizer _bpe;

    private ClipTokenizer(BpeTokenizer bpe, int maxLength, int bosTokenId, int eosTokenId, int padTokenId)
    {
        _bpe = bpe;
        MaxLength = maxLength;
        BosTokenId = bosTokenId;
        EosTokenId = eosTokenId;
        PadTokenId = padTokenId;
    }

    public int MaxLength { get; }

    /// <summary>Id of the start token (bos_token, "&lt;|startoftext|&gt;").</summary>
    public int BosTokenId { get; }

    /// <summary>Id of the end token (eos_token, "&lt;|endoftext|&gt;").</summary>
    public int EosTokenId { get; }

    /// <summary>Id of the padding token: "&lt;|endoftext|&gt;" for SD 1.x, "!" (0) for SD 2.x.</summary>
    public int PadTokenId { get; }

    /// <summary>
    /// Loads a diffusers tokenizer folder: vocab.json, merges.txt and special_tokens_map.json are
    /// required; tokenizer_config.json is optional (model_max_length, fallback special tokens).
    /// </summary>
    /// <exception cref="ReNoiseInputException">A required file is missing or a file is malformed.</exception>
    public static ClipTokenizer FromDirectory(string tokenizerDir)
    {
        ArgumentNullException.ThrowIfNull(tokenizerDir);
        if (!Directory.Exists(tokenizerDir))
            throw new ReNoiseInputException($"Tokenizer folder not found: {tokenizerDir}");

        string vocabPath = RequireFile(tokenizerDir, "vocab.json");
        string mergesPath = RequireFile(tokenizerDir, "merges.txt");
        string specialPath = RequireFile(tokenizerDir, "special_tokens_map.json");
        string configPath = Path.Combine(tokenizerDir, "tokenizer_config.json");

        Dictionary<string, int> vocab = ReadVocab(vocabPath);
        List<string> merges = ReadMerges(mergesPath);

        var special = new Dictionary<string, (string Token, string File)>();
        int maxLength = DefaultMaxLength;
        // special_tokens_map.json wins over tokenizer_config.json, as in transformers.
        if (File.Exists(configPath))
        {
            using JsonDocument config = ParseJson(configPath);
            ReadSpecialTokens(config.RootElement, configPath, special);
            maxLength = ReadMaxLength(config.RootElement, configPath);
        }
        using (JsonDocument map = ParseJson(specialPath))
            ReadSpecialTokens(map.RootElement, specialPath, special);

        int bos = LookUp(special, "bos_token", StartOfTextToken, vocab, vocabPath);
        int eos = LookUp(special, "eos_token", EndOfTextToken, vocab, vocabPath);
        // CLIPTokenizer's default pad token is "<|endoftext|>".
        int pad = LookUp(special, "pad_token", EndOfTextToken, vocab, vocabPath);

        var specialTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string token in new[] { StartOfTextToken, EndOfTextToken })
            if (vocab.TryGetValue(token, out int id))
                specialTokens[token] = id;

        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            EndOfWordSuffix = "</w>",
            Normalizer = ClipNormalizer.Instance,
            PreTokenizer = ClipPreTokenizer.Instance,
            SpecialTokens = specialTokens,
        };

        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new ReNoiseInputException($"Tokenizer files do not fit together ({mergesPath}): {OneLine(ex.Message)}", ex);
        }

        return new ClipTokenizer(bpe, maxLength, bos, eos, pad);
    }

    public ClipTokenization Encode(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        IReadOnlyList<int> tokens = EncodeTokens(prompt);

        int kept = Math.Min(tokens.Count, MaxLength - 2);
        var ids = new int[MaxLength];
        ids[0] = BosTokenId;
        for (int i = 0; i < kept; i++)
            ids[1 + i] = tokens[i];
        ids[1 + kept] = EosTokenId;
        Array.Fill(ids, PadTokenId, 2 + kept, MaxLength - 2 - kept);

        return new ClipTokenization(ids, tokens.Count, tokens.Count > kept);
    }

    /// <summary>Prompt tokens only (no start/end token, no truncation).</summary>
    internal IReadOnlyList<int> EncodeTokens(string prompt) => _bpe.EncodeToIds(prompt);

    private static string RequireFile(string dir, string name)
    {
        string path = Path.Combine(dir, name);
        if (!File.Exists(path))
            throw new ReNoiseInputException($"Tokenizer file not found: {path}");
        return path;
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            return JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new ReNoiseInputException($"Malformed JSON in {path}: {OneLine(ex.Message)}", ex);
        }
    }

    private static Dictionary<string, int> ReadVocab(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            Dictionary<string, int>? vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(stream);
            if (vocab is null || vocab.Count == 0)
                throw new ReNoiseInputException($"Malformed JSON in {path}: expected a non-empty object of token ids");
            return vocab;
        }
        catch (JsonException ex)
        {
            throw new ReNoiseInputException($"Malformed JSON in {path}: {OneLine(ex.Message)}", ex);
        }
    }

    // All merges are used. transformers slices CLIP's merges to 49152 - 256 - 2 entries, which is
    // every line of the released merges.txt; a longer file would not match its vocabulary anyway.
    private static List<string> ReadMerges(string path)
    {
        var merges = new List<string>();
        foreach (string raw in File.ReadLines(path))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith("#version", StringComparison.Ordinal))
                continue;
            int space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                throw new ReNoiseInputException($"Malformed merge line in {path}: \"{line}\"");
            merges.Add(line);
        }
        return merges;
    }

    private static void ReadSpecialTokens(JsonElement root, string path, Dictionary<string, (string, string)> special)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new ReNoiseInputException($"Malformed JSON in {path}: expected an object");
        foreach (string key in new[] { "bos_token", "eos_token", "pad_token" })
        {
            if (!root.TryGetProperty(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
                continue;
            // A token is written either as a string or as an AddedToken object {"content": ...}.
            string? token = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object when value.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String => c.GetString(),
                _ => null,
            };
            if (string.IsNullOrEmpty(token))
                throw new ReNoiseInputException($"Malformed JSON in {path}: {key} must be a string or an object with \"content\"");
            special[key] = (token, path);
        }
    }

    private static int ReadMaxLength(JsonElement root, string path)
    {
        if (!root.TryGetProperty("model_max_length", out JsonElement value) || value.ValueKind == JsonValueKind.Null)
            return DefaultMaxLength;
        if (value.ValueKind != JsonValueKind.Number)
            throw new ReNoiseInputException($"Malformed JSON in {path}: model_max_length must be a number");
        double n = value.GetDouble();
        if (n >= UnsetMaxLengthThreshold)
            return DefaultMaxLength;
        if (n != Math.Floor(n) || n < 3)
            throw new ReNoiseInputException($"Invalid model_max_length {value.GetRawText()} in {path}: expected a whole number of at least 3");
        return (int)n;
    }

    private static int LookUp(Dictionary<string, (string Token, string File)> special, string key, string fallback,
        Dictionary<string, int> vocab, string vocabPath)
    {
        (string token, string? file) = special.TryGetValue(key, out var found) ? found : (fallback, null);
        if (vocab.TryGetValue(token, out int id))
            return id;
        string source = file is null ? "the CLIP default" : file;
        throw new ReNoiseInputException($"{key} \"{token}\" ({source}) is not in {vocabPath}");
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
