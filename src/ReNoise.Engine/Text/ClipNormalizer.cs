using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace ReNoise.Engine.Text;

/// <summary>
/// CLIP's text preparation (OpenAI simple_tokenizer: basic_clean, whitespace_clean, lower):
/// NFC (the part of ftfy that matters for prompts), HTML entities unescaped twice, runs of
/// whitespace collapsed to one space and trimmed, then lower-cased as Python's str.lower.
/// </summary>
/// <remarks>
/// ML.Tokenizers only ships a plain lower-casing normalizer, so the whole step is done here.
/// HTML unescaping uses <see cref="WebUtility.HtmlDecode(string)"/>: numeric entities and the
/// HTML 4 names ("&amp;amp;", "&amp;lt;", "&amp;#39;"...). Python's html.unescape also knows the
/// HTML 5 names (e.g. "&amp;AMP;") and legacy forms without the semicolon ("&amp;lt"); those are
/// left as written here, and would tokenize differently from CLIP. Prompts practically never
/// contain them.
/// </remarks>
internal sealed class ClipNormalizer : Normalizer
{
    public static ClipNormalizer Instance { get; } = new();

    public override string Normalize(string original) => Prepare(original);

    public override string Normalize(ReadOnlySpan<char> original) => Prepare(new string(original));

    internal static string Prepare(string text)
    {
        if (text.Length == 0)
            return text;

        string s = ReplaceLoneSurrogates(text);
        s = s.IsNormalized(NormalizationForm.FormC) ? s : s.Normalize(NormalizationForm.FormC);
        if (s.Contains('&'))
            s = WebUtility.HtmlDecode(WebUtility.HtmlDecode(s));

        // Collapse whitespace and trim first: the final-sigma rule below looks at neighbours,
        // and Python lower-cases the already cleaned string.
        var collapsed = new StringBuilder(s.Length);
        bool pendingSpace = false;
        foreach (char c in s)
        {
            if (IsWhiteSpace(c))
            {
                pendingSpace = collapsed.Length > 0;
                continue;
            }
            if (pendingSpace)
            {
                collapsed.Append(' ');
                pendingSpace = false;
            }
            collapsed.Append(c);
        }

        return ToLowerLikePython(collapsed.ToString());
    }

    /// <summary>
    /// Unpaired UTF-16 surrogates (possible in text from JSON or a form) become U+FFFD: they have
    /// no UTF-8 form, and .NET's normalization rejects them.
    /// </summary>
    private static string ReplaceLoneSurrogates(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
            return text;
        char[] chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
                i++;
            else if (char.IsSurrogate(chars[i]))
                chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    /// <summary>Python's str.isspace (what <c>re</c>'s \s matches): .NET's set plus U+001C..U+001F.</summary>
    internal static bool IsWhiteSpace(char c) => char.IsWhiteSpace(c) || (c >= '\u001C' && c <= '\u001F');

    /// <summary>
    /// Python's str.lower uses full case mapping. Against .NET's simple mapping that differs
    /// only for U+0130 (to "i" + combining dot) and the final-sigma rule.
    /// </summary>
    private static string ToLowerLikePython(string s)
    {
        var sb = new StringBuilder(s.Length + 4);
        int i = 0;
        while (i < s.Length)
        {
            Rune.DecodeFromUtf16(s.AsSpan(i), out Rune r, out int used);
            if (r.Value == 0x0130)
                sb.Append("i\u0307");
            else if (r.Value == 0x03A3)
                sb.Append(IsFinalSigma(s, i) ? '\u03C2' : '\u03C3');
            else
                sb.Append(Rune.ToLowerInvariant(r).ToString());
            i += used;
        }
        return sb.ToString();
    }

    // Unicode's Final_Sigma condition: a cased letter before (skipping case-ignorables) and
    // no cased letter after (skipping case-ignorables).
    private static bool IsFinalSigma(string s, int index)
    {
        bool casedBefore = false;
        for (int j = index - 1; j >= 0; j--)
        {
            int start = char.IsLowSurrogate(s[j]) && j > 0 && char.IsHighSurrogate(s[j - 1]) ? j - 1 : j;
            Rune.DecodeFromUtf16(s.AsSpan(start), out Rune r, out _);
            j = start;
            if (IsCaseIgnorable(r))
                continue;
            casedBefore = IsCased(r);
            break;
        }
        if (!casedBefore)
            return false;

        int k = index + 1;
        while (k < s.Length)
        {
            Rune.DecodeFromUtf16(s.AsSpan(k), out Rune r, out int used);
            if (IsCaseIgnorable(r))
            {
                k += used;
                continue;
            }
            return !IsCased(r);
        }
        return true;
    }

    private static bool IsCased(Rune r) => Rune.GetUnicodeCategory(r) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    private static bool IsCaseIgnorable(Rune r) =>
        r.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x2018 or 0x2019 or 0x2024 or 0x2027
        || Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
}
