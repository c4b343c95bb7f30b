using System.Text.Json;
using ReNoise.Engine.Text;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Text;

/// <summary>
/// ClipTokenizer against the independent Python reference (tools/tokenizer/clip_reference.py, the
/// OpenAI simple_tokenizer algorithm) on the tokenizer's own CLIP-layout test vocabulary
/// (Text/testvocab, made by tools/tokenizer/make_test_vocab.py), plus loading and layout rules.
/// </summary>
public sealed class ClipTokenizerTests
{
    private static readonly string TestVocabDir = Path.Combine(TestPaths.EngineTests, "Text", "testvocab");
    private static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.FromDirectory(TestVocabDir));
    private static readonly Lazy<Dictionary<string, int>> Vocab = new(() =>
        JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(TestVocabDir, "vocab.json")))!);

    private static ClipTokenizer Tokenizer => Shared.Value;

    private static int Id(string token) => Vocab.Value[token];

    public static TheoryData<int, string> ReferenceCases()
    {
        var data = new TheoryData<int, string>();
        ExpectedFile expected = LoadExpected();
        for (int i = 0; i < expected.Cases.Count; i++)
            data.Add(i, expected.Cases[i].Prompt);
        return data;
    }

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Encode_matches_python_reference(int index, string prompt)
    {
        ExpectedCase expected = LoadExpected().Cases[index];
        Assert.Equal(expected.Prompt, prompt);

        ClipTokenization result = Tokenizer.Encode(prompt);

        Assert.Equal(expected.Ids, result.Ids);
        Assert.Equal(expected.TokenCount, result.TokenCount);
        Assert.Equal(expected.Truncated, result.Truncated);
    }

    [Fact]
    public void Reference_file_was_made_for_the_test_vocabulary()
    {
        ExpectedFile expected = LoadExpected();
        Assert.Equal(Tokenizer.MaxLength, expected.MaxLength);
        Assert.Equal(expected.BosId, Tokenizer.BosTokenId);
        Assert.Equal(expected.EosId, Tokenizer.EosTokenId);
        Assert.Equal(expected.PadId, Tokenizer.PadTokenId);
        Assert.True(expected.Cases.Count >= 15);
    }

    [Fact]
    public void Numbers_are_split_into_single_digits()
    {
        IReadOnlyList<int> tokens = Tokenizer.EncodeTokens("in 2024");

        Assert.Equal(new[] { Id("in</w>"), Id("2</w>"), Id("0</w>"), Id("2</w>"), Id("4</w>") }, tokens);
    }

    [Fact]
    public void Case_and_whitespace_do_not_change_the_ids()
    {
        int[] plain = Tokenizer.Encode("a photo of a cat").Ids;

        Assert.Equal(plain, Tokenizer.Encode("  A   Photo\tOF \n a  CAT  ").Ids);
        Assert.Equal(plain, Tokenizer.Encode("a\u00a0photo\u3000of a cat").Ids);
    }

    [Fact]
    public void Empty_prompt_is_start_end_and_padding()
    {
        ClipTokenization result = Tokenizer.Encode("");

        Assert.Equal(77, result.Ids.Length);
        Assert.Equal(Id("<|startoftext|>"), result.Ids[0]);
        Assert.Equal(Id("<|endoftext|>"), result.Ids[1]);
        Assert.All(result.Ids.Skip(2), id => Assert.Equal(Tokenizer.PadTokenId, id));
        Assert.Equal(0, result.TokenCount);
        Assert.False(result.Truncated);
    }

    [Fact]
    public void Over_long_prompt_keeps_the_first_75_tokens_and_ends_with_eos()
    {
        string prompt = string.Join(" and ", Enumerable.Repeat("a red cat", 30));
        IReadOnlyList<int> tokens = Tokenizer.EncodeTokens(prompt);
        Assert.True(tokens.Count > 75);

        ClipTokenization result = Tokenizer.Encode(prompt);

        Assert.Equal(77, result.Ids.Length);
        Assert.True(result.Truncated);
        Assert.Equal(tokens.Count, result.TokenCount);
        Assert.Equal(Tokenizer.BosTokenId, result.Ids[0]);
        Assert.Equal(tokens.Take(75), result.Ids.Skip(1).Take(75));
        Assert.Equal(Tokenizer.EosTokenId, result.Ids[76]);
    }

    [Fact]
    public void Exactly_75_tokens_fit_and_76_are_truncated()
    {
        // Every number below 10 is one token, 10..42 are two: 9 + 33 * 2 = 75.
        string fits = string.Join(" ", Enumerable.Range(1, 42));
        ClipTokenization full = Tokenizer.Encode(fits);
        ClipTokenization over = Tokenizer.Encode(fits + " 7");

        Assert.Equal(75, full.TokenCount);
        Assert.False(full.Truncated);
        Assert.Equal(Tokenizer.EosTokenId, full.Ids[76]);
        Assert.Equal(76, over.TokenCount);
        Assert.True(over.Truncated);
        Assert.Equal(full.Ids, over.Ids);
    }

    [Fact]
    public void Special_token_text_in_a_prompt_maps_to_the_special_ids()
    {
        IReadOnlyList<int> tokens = Tokenizer.EncodeTokens("a <|ENDOFTEXT|> b<|startoftext|>");

        Assert.Equal(new[] { Id("a</w>"), Id("<|endoftext|>"), Id("b</w>"), Id("<|startoftext|>") }, tokens);
    }

    [Fact]
    public void Html_entities_are_unescaped_twice()
    {
        Assert.Equal(Tokenizer.Encode("fish & chips <3").Ids, Tokenizer.Encode("fish &amp;amp; chips &lt;3").Ids);
    }

    [Fact]
    public void Unpaired_surrogate_is_encoded_as_the_replacement_character()
    {
        Assert.Equal(Tokenizer.Encode("a\ufffdb").Ids, Tokenizer.Encode("a\ud800b").Ids);
    }

    [Fact]
    public void Sd1_style_pads_with_endoftext()
    {
        ClipTokenization result = Tokenizer.Encode("a cat");

        Assert.Equal(Id("<|endoftext|>"), Tokenizer.PadTokenId);
        Assert.All(result.Ids.Skip(4), id => Assert.Equal(Id("<|endoftext|>"), id));
    }

    [Fact]
    public void Sd2_style_pads_with_exclamation_mark_id_zero()
    {
        using var dir = new TokenizerDirCopy(TestVocabDir);
        dir.Write("special_tokens_map.json",
            """{"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "!", "unk_token": "<|endoftext|>"}""");

        ClipTokenizer sd2 = ClipTokenizer.FromDirectory(dir.Path);
        ClipTokenization result = sd2.Encode("a cat");

        Assert.Equal(0, Id("!"));
        Assert.Equal(0, sd2.PadTokenId);
        Assert.Equal(Tokenizer.Encode("a cat").Ids.Take(4), result.Ids.Take(4));
        Assert.Equal(Id("<|endoftext|>"), result.Ids[3]);
        Assert.All(result.Ids.Skip(4), id => Assert.Equal(0, id));
    }

    [Fact]
    public void Pad_token_falls_back_to_tokenizer_config()
    {
        using var dir = new TokenizerDirCopy(TestVocabDir);
        dir.Write("special_tokens_map.json", """{"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>"}""");
        dir.Write("tokenizer_config.json", """{"model_max_length": 77, "pad_token": {"content": "!"}}""");

        Assert.Equal(0, ClipTokenizer.FromDirectory(dir.Path).PadTokenId);
    }

    [Fact]
    public void Model_max_length_sets_the_sequence_length()
    {
        using var dir = new TokenizerDirCopy(TestVocabDir);
        dir.Write("tokenizer_config.json", """{"model_max_length": 8}""");
        ClipTokenizer shortTokenizer = ClipTokenizer.FromDirectory(dir.Path);

        ClipTokenization result = shortTokenizer.Encode("1 2 3 4 5 6 7");

        Assert.Equal(8, shortTokenizer.MaxLength);
        Assert.Equal(8, result.Ids.Length);
        Assert.Equal(7, result.TokenCount);
        Assert.True(result.Truncated);
        Assert.Equal(Id("6</w>"), result.Ids[6]);
        Assert.Equal(shortTokenizer.EosTokenId, result.Ids[7]);
    }

    [Fact]
    public void Missing_tokenizer_config_and_unset_length_default_to_77()
    {
        using var dir = new TokenizerDirCopy(TestVocabDir);
        dir.Delete("tokenizer_config.json");
        Assert.Equal(77, ClipTokenizer.FromDirectory(dir.Path).MaxLength);

        dir.Write("tokenizer_config.json", """{"model_max_length": 1000000000000000019884624838656}""");
        Assert.Equal(77, ClipTokenizer.FromDirectory(dir.Path).MaxLength);
    }

    [Theory]
    [InlineData("vocab.json")]
    [InlineData("merges.txt")]
    [InlineData("special_tokens_map.json")]
    public void Missing_file_error_names_the_file(string name)
    {
        using var dir = new TokenizerDirCopy(TestVocabDir);
        dir.Delete(name);

        var ex = Assert.Throws<ReNoiseInputException>(() => ClipTokenizer.FromDirectory(dir.Path));

        Assert.Contains(Path.Combine(dir.Path, name), ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData("vocab.json")]
    [InlineData("special_tokens_map.json")]
    [InlineData("tokenizer_config.json")]
    public void Malformed_json_error_names_the_file(string name)
    {
        using var dir = new TokenizerDirCopy(TestVocabDir);
        dir.Write(name, "{\"bos_token\": ");

        var ex = Assert.Throws<ReNoiseInputException>(() => ClipTokenizer.FromDirectory(dir.Path));

        Assert.Contains(Path.Combine(dir.Path, name), ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Merge_of_unknown_tokens_is_reported_against_merges_txt()
    {
        using var dir = new TokenizerDirCopy(TestVocabDir);
        File.AppendAllText(Path.Combine(dir.Path, "merges.txt"), "zq xw\n");

        var ex = Assert.Throws<ReNoiseInputException>(() => ClipTokenizer.FromDirectory(dir.Path));

        Assert.Contains(Path.Combine(dir.Path, "merges.txt"), ex.Message);
    }

    [Fact]
    public void Special_token_missing_from_vocab_is_reported()
    {
        using var dir = new TokenizerDirCopy(TestVocabDir);
        dir.Write("special_tokens_map.json", """{"pad_token": "<pad>"}""");

        var ex = Assert.Throws<ReNoiseInputException>(() => ClipTokenizer.FromDirectory(dir.Path));

        Assert.Contains("<pad>", ex.Message);
        Assert.Contains("vocab.json", ex.Message);
    }

    [Fact]
    public void Missing_folder_is_reported()
    {
        string path = Path.Combine(Path.GetTempPath(), "renoise-no-such-tokenizer-" + Guid.NewGuid().ToString("N"));

        var ex = Assert.Throws<ReNoiseInputException>(() => ClipTokenizer.FromDirectory(path));

        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Concurrent_encoding_gives_the_same_ids()
    {
        string[] prompts = LoadExpected().Cases.Select(c => c.Prompt).ToArray();
        int[][] sequential = prompts.Select(p => Tokenizer.Encode(p).Ids).ToArray();
        var parallel = new int[prompts.Length * 8][];

        Parallel.For(0, parallel.Length, i => parallel[i] = Tokenizer.Encode(prompts[i % prompts.Length]).Ids);

        for (int i = 0; i < parallel.Length; i++)
            Assert.Equal(sequential[i % prompts.Length], parallel[i]);
    }

    internal static ExpectedFile LoadExpected() => ExpectedFile.Load(Path.Combine(TestPaths.EngineTests, "Text", "clip_expected.json"));
}

internal sealed record ExpectedCase(string Prompt, int[] Ids, int TokenCount, bool Truncated);

/// <summary>Output of tools/tokenizer/clip_reference.py.</summary>
internal sealed record ExpectedFile(string Tokenizer, string VocabSha256, string MergesSha256,
    int MaxLength, int BosId, int EosId, int PadId, IReadOnlyList<ExpectedCase> Cases)
{
    public static ExpectedFile Load(string path)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = doc.RootElement;
        var cases = root.GetProperty("cases").EnumerateArray().Select(c => new ExpectedCase(
            c.GetProperty("prompt").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("token_count").GetInt32(),
            c.GetProperty("truncated").GetBoolean())).ToList();
        return new ExpectedFile(root.GetProperty("tokenizer").GetString()!, root.GetProperty("vocab_sha256").GetString()!,
            root.GetProperty("merges_sha256").GetString()!, root.GetProperty("max_length").GetInt32(), root.GetProperty("bos_id").GetInt32(),
            root.GetProperty("eos_id").GetInt32(), root.GetProperty("pad_id").GetInt32(), cases);
    }
}

/// <summary>A throw-away copy of a tokenizer folder whose files a test may replace or delete.</summary>
internal sealed class TokenizerDirCopy : IDisposable
{
    public TokenizerDirCopy(string source)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "renoise-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        foreach (string file in Directory.GetFiles(source))
            File.Copy(file, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(file)));
    }

    public string Path { get; }

    public void Write(string name, string content) => File.WriteAllText(System.IO.Path.Combine(Path, name), content);

    public void Delete(string name) => File.Delete(System.IO.Path.Combine(Path, name));

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
