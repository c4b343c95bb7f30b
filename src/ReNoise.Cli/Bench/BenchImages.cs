using System.Text.Json;
using ReNoise.Engine;

namespace ReNoise.Cli.Bench;

/// <summary>
/// Finds the bench's images in a folder and their prompts: a fixed prompt for all, or a captions
/// file mapping file names to captions (a JSON object, <c>{"astronaut.png": "a photo of ..."}</c>).
/// Without either, <c>captions.json</c> in the image folder is used when present.
/// </summary>
public static class BenchImages
{
    public const string DefaultCaptionsFile = "captions.json";

    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"];

    /// <summary>The images of <paramref name="folder"/> (sorted by file name) with their prompts.</summary>
    public static IReadOnlyList<BenchImage> Discover(string folder, string? captionsFile, string? fixedPrompt)
    {
        if (!Directory.Exists(folder)) throw new ReNoiseInputException($"--images folder not found: {folder}");
        var files = Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0) throw new ReNoiseInputException($"--images folder {folder} holds no PNG, JPEG, WebP, BMP or GIF image");

        IReadOnlyDictionary<string, string>? captions = null;
        if (captionsFile is not null) captions = ReadCaptions(captionsFile);
        else if (fixedPrompt is null && File.Exists(Path.Combine(folder, DefaultCaptionsFile)))
            captions = ReadCaptions(Path.Combine(folder, DefaultCaptionsFile));

        var images = new List<BenchImage>(files.Count);
        foreach (var file in files)
        {
            string name = Path.GetFileName(file);
            string? prompt = fixedPrompt;
            if (prompt is null && captions is not null && captions.TryGetValue(name, out var caption)) prompt = caption;
            if (prompt is null)
                throw new ReNoiseInputException(captions is null
                    ? $"no prompt for {name}: give --prompt, or --prompt-file with a caption per image"
                    : $"the captions file has no caption for {name}");
            images.Add(new BenchImage(name, file, prompt));
        }
        return images;
    }

    /// <summary>Reads a captions file: a JSON object of file name -> caption.</summary>
    public static IReadOnlyDictionary<string, string> ReadCaptions(string path)
    {
        if (!File.Exists(path)) throw new ReNoiseInputException($"--prompt-file not found: {path}");
        try
        {
            var captions = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))
                ?? throw new ReNoiseInputException($"{path} is empty; it must be a JSON object of file name -> caption");
            foreach (var (name, caption) in captions)
                if (string.IsNullOrWhiteSpace(caption)) throw new ReNoiseInputException($"{path}: the caption of {name} is empty");
            return captions;
        }
        catch (JsonException e)
        {
            throw new ReNoiseInputException($"{path} is not a JSON object of file name -> caption ({CliLine(e.Message)})", e);
        }
    }

    private static string CliLine(string message)
    {
        int newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
