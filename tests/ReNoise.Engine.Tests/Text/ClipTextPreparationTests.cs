using ReNoise.Engine.Text;

namespace ReNoise.Engine.Tests.Text;

/// <summary>CLIP's text clean-up and split pattern, checked piece by piece.</summary>
public sealed class ClipTextPreparationTests
{
    private static string[] Pieces(string text) =>
        ClipPreTokenizer.Split(text).Select(p => text.Substring(p.Offset, p.Length)).ToArray();

    [Theory]
    [InlineData("4 cats in 2024", new[] { "4", "cats", "in", "2", "0", "2", "4" })]
    [InlineData("it's we're i'll you'd they've i'm don't", new[] { "it", "'s", "we", "'re", "i", "'ll", "you", "'d", "they", "'ve", "i", "'m", "don", "'t" })]
    [InlineData("hello!!! ... (a) [b] {c}", new[] { "hello", "!!!", "...", "(", "a", ")", "[", "b", "]", "{", "c", "}" })]
    [InlineData("''s !!'s rock'n'roll", new[] { "''", "s", "!!'", "s", "rock", "'", "n", "'", "roll" })]
    [InlineData("a<|endoftext|>b !<|endoftext|>", new[] { "a", "<|endoftext|>", "b", "!<|", "endoftext", "|>" })]
    [InlineData("caf\u00e9 \u6771\u4eac \U0001F431!", new[] { "caf\u00e9", "\u6771\u4eac", "\U0001F431!" })]
    public void Split_follows_the_clip_pattern(string text, string[] expected)
    {
        Assert.Equal(expected, Pieces(text));
    }

    [Fact]
    public void Split_treats_letters_and_digits_outside_the_bmp_as_code_points()
    {
        // U+20000 is a CJK letter (a surrogate pair in UTF-16), U+1D7CF/U+1D7D0 are math digits.
        Assert.Equal(new[] { "a\U00020000b" }, Pieces("a\U00020000b"));
        Assert.Equal(new[] { "\U0001D7CF", "\U0001D7D0" }, Pieces("\U0001D7CF\U0001D7D0"));
    }

    [Theory]
    [InlineData("  A   Photo\tOF \n a  CAT  ", "a photo of a cat")]
    [InlineData("x\u00a0y\u3000z\u001fw", "x y z w")]
    [InlineData("fish &amp;amp; chips &lt;3 &#x263A;", "fish & chips <3 \u263a")]
    [InlineData("cafe\u0301", "caf\u00e9")]
    [InlineData("\u039f\u0394\u039f\u03a3 \u03a3", "\u03bf\u03b4\u03bf\u03c2 \u03c3")]
    [InlineData("\u0130stanbul", "i\u0307stanbul")]
    [InlineData("   ", "")]
    public void Normalizer_cleans_like_clip(string text, string expected)
    {
        Assert.Equal(expected, ClipNormalizer.Prepare(text));
    }
}
