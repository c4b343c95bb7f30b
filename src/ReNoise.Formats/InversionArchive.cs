using System.IO.Compression;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;

namespace ReNoise.Formats;

/// <summary>How much an archive from an untrusted source may hold (zip bombs are refused, not unpacked).</summary>
public sealed record ArchiveLimits
{
    /// <summary>Largest archive file accepted.</summary>
    public long MaxArchiveBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Entries read in all (a folder's files; more is not an inversion folder).</summary>
    public int MaxEntries { get; init; } = 64;

    /// <summary>Largest uncompressed file, and largest total of the files read.</summary>
    public long MaxEntryBytes { get; init; } = 256L * 1024 * 1024;

    public long MaxTotalBytes { get; init; } = 512L * 1024 * 1024;

    public static ArchiveLimits Default { get; } = new();
}

/// <summary>An inversion read from an archive: the inverted latent, its manifest, and the other files it carried.</summary>
/// <param name="Files">Every file of the inversion folder the archive held, by name (manifest and arrays included).</param>
public sealed record ArchivedInversion(InversionManifest Manifest, InvertedLatent Inversion, IReadOnlyDictionary<string, byte[]> Files)
{
    public byte[]? File(string name) => Files.GetValueOrDefault(name);
}

/// <summary>
/// An inversion folder as one zip (the studio's export and import): the folder's files at the top level
/// or inside one folder. Reading is for untrusted uploads: only the folder's known file names are read,
/// each within <see cref="ArchiveLimits"/> (declared and actual sizes both checked), and the inversion is
/// validated as <see cref="InversionFolder.Read(string)"/> validates a folder.
/// </summary>
public static class InversionArchive
{
    private static readonly string[] KnownFiles =
    [
        InversionFolder.ManifestFile, InversionFolder.LatentFile, InversionFolder.CleanLatentFile, InversionFolder.NoiseFile,
        InversionFolder.TrajectoryFile, InversionFolder.InputFile, InversionFolder.ReconstructionFile,
    ];

    /// <summary>Writes <paramref name="files"/> (name and bytes, the folder's file names) into a zip, inside <paramref name="folderName"/>.</summary>
    public static void Write(Stream destination, string folderName, IEnumerable<(string Name, byte[] Bytes)> files)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folderName);
        using var zip = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, bytes) in files)
        {
            if (!KnownFiles.Contains(name)) throw new ArgumentException($"'{name}' is not a file of an inversion folder", nameof(files));
            // PNGs are compressed already; the arrays are float noise, which deflate barely shrinks either.
            var entry = zip.CreateEntry($"{folderName}/{name}", CompressionLevel.Fastest);
            using var stream = entry.Open();
            stream.Write(bytes);
        }
    }

    /// <summary>Zips the files of the inversion folder <paramref name="folder"/>.</summary>
    public static void WriteFolder(string folder, Stream destination)
    {
        InversionFolder.Read(folder); // only a valid inversion is exported
        var files = KnownFiles.Where(name => System.IO.File.Exists(Path.Combine(folder, name)))
            .Select(name => (name, System.IO.File.ReadAllBytes(Path.Combine(folder, name))));
        Write(destination, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), files);
    }

    /// <summary>
    /// Reads an inversion from a zip; <paramref name="name"/> names the archive in messages. Every problem
    /// (not a zip, too large, no manifest, arrays of the wrong shape, an inconsistent inversion) is a
    /// one-line <see cref="ReNoiseInputException"/>.
    /// </summary>
    public static ArchivedInversion Read(Stream source, string name, ArchiveLimits? limits = null)
    {
        limits ??= ArchiveLimits.Default;
        if (!source.CanSeek) source = Buffer(source, name, limits.MaxArchiveBytes); // a zip is read from its end
        if (source.Length > limits.MaxArchiveBytes)
            throw new ReNoiseInputException($"{name} is {source.Length / (1024 * 1024)} MB; archives are limited to {limits.MaxArchiveBytes / (1024 * 1024)} MB");
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(source, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new ReNoiseInputException($"{name} is not a zip archive ({e.Message})", e);
        }
        using (zip)
        {
            var files = ReadEntries(zip, name, limits);
            var inversion = InversionFolder.Read(files.GetValueOrDefault, file => $"{name}:{file}", out var manifest);
            return new ArchivedInversion(manifest, inversion, files);
        }
    }

    private static Dictionary<string, byte[]> ReadEntries(ZipArchive zip, string name, ArchiveLimits limits)
    {
        if (zip.Entries.Count > limits.MaxEntries)
            throw new ReNoiseInputException($"{name} holds {zip.Entries.Count} entries; an inversion folder has at most {limits.MaxEntries}");
        // The folder's files at the top level, or all inside one folder (how a folder is zipped).
        var candidates = zip.Entries.Where(e => !string.IsNullOrEmpty(e.Name) && KnownFiles.Contains(e.Name)).ToList();
        var prefixes = candidates.Select(e => e.FullName[..^e.Name.Length]).Distinct().ToList();
        string prefix = prefixes.Count switch
        {
            0 => throw new ReNoiseInputException($"{name} holds no inversion folder ({InversionFolder.ManifestFile} is missing)"),
            1 => prefixes[0],
            _ => throw new ReNoiseInputException($"{name} holds more than one inversion folder ({string.Join(", ", prefixes.Select(p => p.Length == 0 ? "/" : p))})"),
        };
        if (prefix.Count(c => c is '/' or '\\') > 1 || prefix.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(prefix))
            throw new ReNoiseInputException($"{name}: the inversion folder must be at the top level or one folder deep, found '{prefix}'");

        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long total = 0;
        foreach (var entry in candidates)
        {
            // The declared size may lie; the copy below stops at the limit whatever it says.
            if (entry.Length > limits.MaxEntryBytes || total + entry.Length > limits.MaxTotalBytes)
                throw TooLarge(name, entry.Name, limits);
            using var input = entry.Open();
            using var copy = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = input.Read(buffer)) > 0)
            {
                if (copy.Length + read > limits.MaxEntryBytes || total + copy.Length + read > limits.MaxTotalBytes)
                    throw TooLarge(name, entry.Name, limits);
                copy.Write(buffer, 0, read);
            }
            total += copy.Length;
            files[entry.Name] = copy.ToArray();
        }
        return files;
    }

    private static MemoryStream Buffer(Stream source, string name, long maxBytes)
    {
        var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            if (copy.Length + read > maxBytes)
                throw new ReNoiseInputException($"{name} is larger than the {maxBytes / (1024 * 1024)} MB archives are limited to");
            copy.Write(buffer, 0, read);
        }
        copy.Position = 0;
        return copy;
    }

    private static ReNoiseInputException TooLarge(string name, string entry, ArchiveLimits limits) =>
        new($"{name}:{entry} unpacks to more than the {limits.MaxEntryBytes / (1024 * 1024)} MB a file may have " +
            $"({limits.MaxTotalBytes / (1024 * 1024)} MB in all); the archive is refused");
}
