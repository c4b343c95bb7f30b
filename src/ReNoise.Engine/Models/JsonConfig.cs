using System.Text.Json;

namespace ReNoise.Engine.Models;

/// <summary>Reads the few fields the engine needs from a diffusers JSON config file.</summary>
internal sealed class JsonConfig
{
    private readonly JsonElement _root;

    private JsonConfig(string path, JsonElement root)
    {
        Path = path;
        _root = root;
    }

    public string Path { get; }

    /// <summary>Parses <paramref name="path"/>; an unreadable or malformed file is bad user input.</summary>
    public static JsonConfig Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream, new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new ReNoiseInputException($"{path} is not a JSON object");
            return new JsonConfig(path, document.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new ReNoiseInputException($"{path} is not valid JSON ({OneLine(e.Message)})", e);
        }
        catch (IOException e)
        {
            throw new ReNoiseInputException($"{path} cannot be read ({OneLine(e.Message)})", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ReNoiseInputException($"{path} cannot be read ({OneLine(e.Message)})", e);
        }
    }

    /// <summary>Reads <paramref name="path"/> when it exists, else null.</summary>
    public static JsonConfig? ReadIfExists(string path) => File.Exists(path) ? Read(path) : null;

    public bool Has(string name) =>
        _root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public string? GetString(string name) =>
        _root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public int? GetInt(string name)
    {
        if (!_root.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n)) return n;
        // sample_size may be a [height, width] pair in newer exports; square models repeat the value.
        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0 &&
            value[0].ValueKind == JsonValueKind.Number && value[0].TryGetInt32(out var first))
            return first;
        return null;
    }

    public double? GetDouble(string name) =>
        _root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    public bool? GetBool(string name) =>
        _root.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;

    public int? GetArrayLength(string name) =>
        _root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.GetArrayLength() : null;

    /// <summary>
    /// A token setting from a tokenizer config: either a plain string or an AddedToken object
    /// (<c>{"content": "!", ...}</c>).
    /// </summary>
    public string? GetTokenContent(string name)
    {
        if (!_root.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content) &&
            content.ValueKind == JsonValueKind.String)
            return content.GetString();
        return null;
    }

    internal static string OneLine(string message)
    {
        var line = message.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return line.Length == 0 ? "" : string.Join(" ", line);
    }
}
