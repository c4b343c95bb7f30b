using System.Text;
using Microsoft.ML.Tokenizers;

namespace ReNoise.Engine.Text;

/// <summary>
/// CLIP's split pattern
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// as a hand-written scanner, alternatives tried in that order at each position.
/// </summary>
/// <remarks>
/// Not a <see cref="RegexPreTokenizer"/>: .NET's Regex classes work on UTF-16 code units, so a
/// letter or digit outside the BMP (a surrogate pair, e.g. CJK extension B or math digits) would
/// fall into the "other" class instead of \p{L}/\p{N} and split differently from CLIP. Scanning by
/// <see cref="Rune"/> keeps CLIP's code-point semantics.
/// </remarks>
internal sealed class ClipPreTokenizer : PreTokenizer
{
    internal const string StartOfText = "<|startoftext|>";
    internal const string EndOfText = "<|endoftext|>";

    public static ClipPreTokenizer Instance { get; } = new();

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Split(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text);

    internal static List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        var pieces = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            ReadOnlySpan<char> rest = text[i..];
            if (ClipNormalizer.IsWhiteSpace(rest[0]))
            {
                i++;
                continue;
            }

            int length = MatchSpecial(rest);
            if (length == 0)
                length = MatchContraction(rest);
            if (length == 0)
            {
                Rune r = RuneAt(rest, out int used);
                if (Rune.IsLetter(r))
                    length = RunLength(rest, used, static x => Rune.IsLetter(x));
                else if (Rune.IsNumber(r))
                    length = used; // single digits: "2024" becomes four pieces
                else
                    length = RunLength(rest, used, static x => !Rune.IsLetter(x) && !Rune.IsNumber(x) && !IsWhiteSpace(x));
            }

            pieces.Add((i, length));
            i += length;
        }
        return pieces;
    }

    private static int MatchSpecial(ReadOnlySpan<char> s)
    {
        if (s[0] != '<')
            return 0;
        if (s.StartsWith(StartOfText, StringComparison.Ordinal))
            return StartOfText.Length;
        if (s.StartsWith(EndOfText, StringComparison.Ordinal))
            return EndOfText.Length;
        return 0;
    }

    // 's 't 're 've 'm 'll 'd. CLIP compiles the pattern case-insensitively (simple case
    // folding), so on the already lower-cased text the only extra match is the long s U+017F.
    private static int MatchContraction(ReadOnlySpan<char> s)
    {
        if (s[0] != '\'' || s.Length < 2)
            return 0;
        char a = char.ToLowerInvariant(s[1]);
        if (a is 's' or 't' or 'm' or 'd' or '\u017F')
            return 2;
        if (s.Length >= 3)
        {
            char b = char.ToLowerInvariant(s[2]);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
                return 3;
        }
        return 0;
    }

    private static int RunLength(ReadOnlySpan<char> s, int start, Func<Rune, bool> belongs)
    {
        int n = start;
        while (n < s.Length)
        {
            Rune r = RuneAt(s[n..], out int used);
            if (!belongs(r))
                break;
            n += used;
        }
        return n;
    }

    /// <summary>The code point at the start of <paramref name="s"/>; a lone surrogate counts as one symbol.</summary>
    private static Rune RuneAt(ReadOnlySpan<char> s, out int used)
    {
        Rune.DecodeFromUtf16(s, out Rune r, out used);
        return r;
    }

    private static bool IsWhiteSpace(Rune r) => r.IsBmp && ClipNormalizer.IsWhiteSpace((char)r.Value);
}
