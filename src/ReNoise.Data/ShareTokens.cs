using System.Buffers.Text;
using System.Security.Cryptography;

namespace ReNoise.Data;

/// <summary>Share-link tokens: 192 bits from the OS CSPRNG, URL-safe base64 without padding (32 chars).</summary>
public static class ShareTokens
{
    public const int RandomBytes = 24;
    public const int MaxLength = 64;

    public static string Create()
    {
        Span<byte> bytes = stackalloc byte[RandomBytes];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>Cheap shape check so garbage from a URL never reaches the database.</summary>
    public static bool IsWellFormed(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxLength) return false;
        foreach (char c in token)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return false;
        }
        return true;
    }
}
