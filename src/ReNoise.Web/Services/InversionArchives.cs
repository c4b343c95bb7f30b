using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.IO;
using ReNoise.Formats;

namespace ReNoise.Web.Services;

/// <summary>An exported inversion: the zip's suggested file name and its bytes.</summary>
public sealed record InversionExport(string FileName, byte[] Zip);

/// <summary>How an import ended: the new gallery row, or why nothing was stored.</summary>
public sealed record ImportResult(Guid? InversionId, string? Error)
{
    public static ImportResult Refused(string error) => new(null, error);
}

/// <summary>
/// A gallery row as the CLI's inversion folder, zipped (<see cref="InversionArchive"/>: manifest.json,
/// latent.npy, z0.npy, noise.npy, input.png, reconstruction.png), so <c>renoise edit --inversion</c> and
/// <c>renoise reconstruct</c> take it; and such a zip (or the folder's files) back into the gallery,
/// refused with a message when it is not one: the archive's limits and shapes (the Formats reader), the
/// images' sizes, and a configured model that has the inversion's family, schedule and latent shape.
/// </summary>
public sealed class InversionArchives(GalleryStore store, IModelCatalog catalog, IOptions<StudioOptions> options)
{
    /// <summary>Longest prompt an import may carry (the studio's forms take the same).</summary>
    public const int MaxPromptLength = 1000;

    public long MaxArchiveBytes { get; } = Math.Max(1, options.Value.Uploads.MaxArchiveBytes);

    private ArchiveLimits Limits => new()
    {
        MaxArchiveBytes = MaxArchiveBytes,
        MaxEntryBytes = MaxArchiveBytes,
        MaxTotalBytes = 2 * MaxArchiveBytes,
        MaxEntries = ArchiveLimits.Default.MaxEntries,
    };

    /// <summary>The owner's inversion as a zip of its CLI folder; null when it is not the owner's.</summary>
    public async Task<InversionExport?> ExportAsync(Guid owner, Guid inversionId, CancellationToken cancellationToken = default)
    {
        var row = await store.GetInversionAsync(owner, inversionId, cancellationToken);
        if (row is null) return null;
        async Task<byte[]?> Blob(InversionBlobKind kind) => await store.GetInversionBlobAsync(owner, inversionId, kind, cancellationToken);
        byte[]? latent = await Blob(InversionBlobKind.Latent);
        byte[]? input = await Blob(InversionBlobKind.Input);
        byte[]? reconstruction = await Blob(InversionBlobKind.Reconstruction);
        if (latent is null || input is null || reconstruction is null) return null; // deleted meanwhile
        byte[]? clean = await Blob(InversionBlobKind.CleanLatent);
        byte[]? noise = row.NoiseShape.Length > 0 ? await Blob(InversionBlobKind.NoiseMaps) : null;

        var files = new List<(string Name, byte[] Bytes)>
        {
            (InversionFolder.LatentFile, Npy(row.LatentShape, latent)),
        };
        if (clean is { Length: > 0 }) files.Add((InversionFolder.CleanLatentFile, Npy(row.LatentShape, clean)));
        if (noise is { Length: > 0 }) files.Add((InversionFolder.NoiseFile, Npy(row.NoiseShape, noise)));
        files.Add((InversionFolder.InputFile, input));
        files.Add((InversionFolder.ReconstructionFile, reconstruction));
        var manifest = Manifest(row, [.. files.Select(f => f.Name), InversionFolder.ManifestFile]);
        files.Add((InversionFolder.ManifestFile, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(manifest, InversionFolder.Json))));

        string folder = $"renoise-{Slug(row.Prompt)}-{row.Id.ToString("N")[..8]}";
        using var zip = new MemoryStream();
        InversionArchive.Write(zip, folder, files);
        return new InversionExport(folder + ".zip", zip.ToArray());
    }

    /// <summary>
    /// Imports an inversion for <paramref name="owner"/> from a zip, or from the files of an inversion folder
    /// picked one by one (files that are not the folder's are left out). Every problem is a message and
    /// nothing is stored.
    /// </summary>
    public async Task<ImportResult> ImportAsync(Guid owner, IReadOnlyList<(string Name, byte[] Bytes)> files, CancellationToken cancellationToken = default)
    {
        if (files.Count == 0) return ImportResult.Refused("Choose an inversion's .zip (the studio's export), or the files of an inversion folder.");
        long total = files.Sum(f => (long)f.Bytes.Length);
        if (total > MaxArchiveBytes)
            return ImportResult.Refused($"The import is {UploadValidator.FormatBytes(total)}; imports are limited to {UploadValidator.FormatBytes(MaxArchiveBytes)}.");
        string name;
        ArchivedInversion archived;
        try
        {
            (name, archived) = await Task.Run(() => Read(files), cancellationToken);
        }
        catch (ReNoiseInputException e)
        {
            return ImportResult.Refused(e.Message);
        }
        try
        {
            var inversion = await Task.Run(() => ToNewInversion(name, archived), cancellationToken);
            return new ImportResult(await store.AddInversionAsync(owner, inversion, cancellationToken), null);
        }
        catch (ReNoiseInputException e)
        {
            return ImportResult.Refused($"{name}: {e.Message}");
        }
    }

    private (string Name, ArchivedInversion Inversion) Read(IReadOnlyList<(string Name, byte[] Bytes)> files)
    {
        if (files is [var single] && single.Name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            using var stream = new MemoryStream(single.Bytes, writable: false);
            return (single.Name, InversionArchive.Read(stream, single.Name, Limits));
        }
        if (files.Any(f => f.Name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)))
            throw new ReNoiseInputException("Choose one .zip at a time, or the files of one inversion folder without a zip.");
        // The files of a folder, picked together: zipped as the folder would be and read by the same checks.
        var known = files.Where(f => IsFolderFile(f.Name)).GroupBy(f => f.Name).Select(g => g.First()).ToList();
        if (known.Count == 0)
            throw new ReNoiseInputException($"None of the chosen files is part of an inversion folder ({InversionFolder.ManifestFile}, {InversionFolder.LatentFile}, {InversionFolder.NoiseFile}, ...).");
        using var zip = new MemoryStream();
        InversionArchive.Write(zip, "inversion", known.Select(f => (f.Name, f.Bytes)));
        zip.Position = 0;
        return ("the chosen files", InversionArchive.Read(zip, "the chosen files", Limits));
    }

    private static bool IsFolderFile(string name) => name is InversionFolder.ManifestFile or InversionFolder.LatentFile
        or InversionFolder.CleanLatentFile or InversionFolder.NoiseFile or InversionFolder.TrajectoryFile
        or InversionFolder.InputFile or InversionFolder.ReconstructionFile;

    /// <summary>The gallery row and blobs of an archived inversion, on the configured model that matches it.</summary>
    private NewInversion ToNewInversion(string name, ArchivedInversion archived)
    {
        var (manifest, inversion, _) = archived;
        if (string.IsNullOrWhiteSpace(inversion.Prompt))
            throw new ReNoiseInputException("the manifest has no prompt");
        if (inversion.Prompt.Length > MaxPromptLength)
            throw new ReNoiseInputException($"the prompt has {inversion.Prompt.Length} characters; the studio keeps prompts of at most {MaxPromptLength}");
        RgbImage input = Image(archived, InversionFolder.InputFile, inversion);
        RgbImage reconstruction = Image(archived, InversionFolder.ReconstructionFile, inversion);
        byte[] clean = [];
        if (archived.File(InversionFolder.CleanLatentFile) is { } z0)
        {
            var array = NpyArray.Parse(z0, $"{name}:{InversionFolder.CleanLatentFile}");
            int[] expected = inversion.Shape.ToNchw();
            if (!array.Shape.SequenceEqual(expected))
                throw new ReNoiseInputException($"{InversionFolder.CleanLatentFile} has shape [{string.Join(",", array.Shape)}], expected [{string.Join(",", expected)}]");
            clean = FloatBlob.ToBytes(array.Data);
        }
        StudioModel model = MatchModel(manifest, inversion);

        var noise = inversion.NoiseMaps;
        var row = new Inversion
        {
            ModelName = model.Name,
            ModelPath = model.Path,
            ModelFamily = model.Family.ToString(),
            Prompt = inversion.Prompt,
            SchedulerName = inversion.Scheduler,
            ParametersJson = JsonSerializer.Serialize(ParameterRecord.From(inversion.Parameters), InversionRecords.Json),
            TimestepsJson = JsonSerializer.Serialize(inversion.Timesteps, InversionRecords.Json),
            StartIndex = inversion.StartIndex,
            Width = inversion.Width,
            Height = inversion.Height,
            SourceFileName = FileName(manifest.Image),
            LatentShape = FloatBlob.FormatShape(inversion.Shape.ToNchw()),
            NoiseShape = noise.Count == 0 ? "" : FloatBlob.FormatShape(noise.ArrayShape),
            ResidualsJson = JsonSerializer.Serialize(manifest.Residuals ?? [], InversionRecords.Json),
            Psnr = double.IsFinite(manifest.Psnr) ? manifest.Psnr : null,
            Ssim = double.IsFinite(manifest.Ssim) ? manifest.Ssim : null,
            Nfe = Math.Max(0, manifest.Nfe),
            InversionMs = double.IsFinite(manifest.InversionMs) ? (long)Math.Max(0, manifest.InversionMs) : 0,
            OnnxRuntimeMs = double.IsFinite(manifest.OnnxRuntimeMs) ? (long)Math.Max(0, manifest.OnnxRuntimeMs) : 0,
            WarningsJson = JsonSerializer.Serialize(
                (manifest.Warnings ?? []).Take(20).Append($"imported from {name}; made with the model at {manifest.Model.Path}").ToArray(),
                InversionRecords.Json),
        };
        // The images are stored as decoded and encoded again here: nothing but their pixels is kept.
        var files = new InversionFiles(
            InputPng: ImageEncoding.ToPng(input),
            ReconstructionPng: ImageEncoding.ToPng(reconstruction),
            ThumbnailPng: ImageEncoding.ToThumbnailPng(input),
            Latent: FloatBlob.ToBytes(inversion.Latent),
            CleanLatent: clean,
            NoiseMaps: noise.Count == 0 ? [] : FloatBlob.ToBytes(noise.Data));
        return new NewInversion(row, files);
    }

    private static RgbImage Image(ArchivedInversion archived, string file, InvertedLatent inversion)
    {
        byte[] bytes = archived.File(file) ?? throw new ReNoiseInputException($"{file} is missing (the studio shows the input and the reconstruction)");
        var image = RgbImage.Decode(bytes, file);
        if (image.Width != inversion.Width || image.Height != inversion.Height)
            throw new ReNoiseInputException($"{file} is {image.Width}×{image.Height}; the manifest's working size is {inversion.Width}×{inversion.Height}");
        return image;
    }

    /// <summary>
    /// The configured model this inversion can be edited on: the same family, and the inversion's
    /// sampler planned on it gives the same timesteps, start and latent shape. A model in a folder of the
    /// same name as the manifest's is tried first. None: the message names what does not match on each.
    /// </summary>
    private StudioModel MatchModel(InversionManifest manifest, InvertedLatent inversion)
    {
        string wanted = Path.GetFileName(Path.TrimEndingDirectorySeparator(manifest.Model.Path.Replace('\\', '/')));
        var reasons = new List<string>();
        foreach (var model in catalog.Models.OrderByDescending(m => string.Equals(Path.GetFileName(m.Path), wanted, StringComparison.OrdinalIgnoreCase)))
        {
            if (model.Family != inversion.Model.Family)
            {
                reasons.Add($"{model.Name} is an {ModelFamilies.Display(model.Family)} model");
                continue;
            }
            InversionPlan plan;
            try
            {
                plan = catalog.Plan(model.Name, new InversionRequest { Prompt = inversion.Prompt, Parameters = inversion.Parameters });
            }
            catch (ReNoiseInputException e)
            {
                reasons.Add($"{model.Name} cannot run its parameters ({ParameterLabels.Describe(e)})");
                continue;
            }
            if (!plan.Timesteps.SequenceEqual(inversion.Timesteps) || plan.StartIndex != inversion.StartIndex)
            {
                reasons.Add($"{model.Name}'s {plan.Scheduler} schedule is {Steps(plan.Timesteps)} from step {plan.StartIndex}");
                continue;
            }
            if (plan.Shape != inversion.Shape)
            {
                reasons.Add($"{model.Name} gives a latent of shape {plan.Shape} at {inversion.Width}×{inversion.Height}");
                continue;
            }
            // One family holds several UNets (SD 2.1 and SD-Turbo; SDXL and SDXL-Turbo) that can plan alike:
            // an inversion is only edited on the kind of model that made it, when the manifest says which.
            if (manifest.Model.Variant is not null || manifest.Model.ScalingFactor > 0)
            {
                ModelIdentity identity;
                using (var lease = catalog.Acquire(model.Name)) identity = ModelIdentity.Of(lease.Model);
                if (manifest.Model.Variant is not null && identity.Variant != inversion.Model.Variant)
                {
                    reasons.Add($"{model.Name} is a {identity.Variant} model, the inversion was made on a {inversion.Model.Variant} one");
                    continue;
                }
                if (manifest.Model.ScalingFactor > 0 && Math.Abs(identity.ScalingFactor - inversion.Model.ScalingFactor) > 1e-6)
                {
                    reasons.Add($"{model.Name}'s VAE scaling factor is {identity.ScalingFactor}, the inversion's {inversion.Model.ScalingFactor}");
                    continue;
                }
            }
            return model;
        }
        throw new ReNoiseInputException(
            $"no model configured here matches it. It was made with an {ModelFamilies.Display(inversion.Model.Family)} model ({manifest.Model.Path}), " +
            $"{inversion.Scheduler} schedule {Steps(inversion.Timesteps)} from step {inversion.StartIndex}, latent {inversion.Shape}; " +
            string.Join("; ", reasons));
    }

    private InversionManifest Manifest(Inversion row, string[] files)
    {
        var details = InversionRecords.ToDetails(row);
        var record = new ModelRecord(row.ModelPath, row.ModelFamily, 0, "");
        bool truncated = false;
        if (catalog.Find(row.ModelName) is { } model)
        {
            try
            {
                using var lease = catalog.Acquire(model.Name);
                record = ModelRecord.From(ModelIdentity.Of(lease.Model)) with { Path = row.ModelPath };
                var (tokens, limit) = lease.Model.CountPromptTokens(row.Prompt);
                truncated = tokens > limit;
            }
            catch (ReNoiseInputException)
            {
                // The model does not load now: the row's own record of it is still right.
            }
        }
        return new InversionManifest
        {
            Model = record,
            Image = row.SourceFileName ?? InversionFolder.InputFile,
            Width = row.Width,
            Height = row.Height,
            Prompt = row.Prompt,
            PromptTruncated = truncated,
            Scheduler = row.SchedulerName,
            Parameters = JsonSerializer.Deserialize<ParameterRecord>(row.ParametersJson, InversionRecords.Json)
                         ?? throw new InvalidDataException($"inversion {row.Id} has no parameters"),
            Timesteps = [.. details.Timesteps],
            InvertedTimesteps = [.. details.DenoisedTimesteps.Reverse()],
            StartIndex = row.StartIndex,
            LatentShape = FloatBlob.ParseShape(row.LatentShape),
            Nfe = row.Nfe,
            Residuals = [.. details.Residuals],
            Psnr = row.Psnr ?? double.NaN,
            Ssim = row.Ssim ?? double.NaN,
            TotalMs = row.InversionMs,
            InversionMs = row.InversionMs,
            OnnxRuntimeMs = row.OnnxRuntimeMs,
            Warnings = [.. details.Warnings],
            Files = files,
        };
    }

    private static byte[] Npy(string shape, byte[] data) => [.. NpyArray.Float32Header(FloatBlob.ParseShape(shape)), .. data];

    private static string Steps(IEnumerable<int> timesteps) => "[" + string.Join(", ", timesteps) + "]";

    private static string? FileName(string? image)
    {
        if (string.IsNullOrWhiteSpace(image)) return null;
        string name = Path.GetFileName(image.Replace('\\', '/'));
        return name.Length > 200 ? name[..200] : name;
    }

    /// <summary>A few words of the prompt for a file name: letters and digits, dashes between.</summary>
    public static string Slug(string prompt)
    {
        var words = new StringBuilder();
        foreach (char c in prompt.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c)) words.Append(c);
            else if (words.Length > 0 && words[^1] != '-') words.Append('-');
            if (words.Length >= 40) break;
        }
        string slug = words.ToString().Trim('-');
        return slug.Length == 0 ? "inversion" : slug;
    }
}
