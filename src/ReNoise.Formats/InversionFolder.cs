using System.Text.Json;
using System.Text.Json.Serialization;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.IO;
using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;

namespace ReNoise.Formats;

/// <summary>The model an inversion was made with, as its manifest records it.</summary>
public sealed record ModelRecord(string Path, string Family, double ScalingFactor, string ExecutionProvider)
{
    /// <summary>The detected model variant (SdxlTurbo, Lcm, ...); null in manifests written before it was recorded.</summary>
    public string? Variant { get; init; }

    public static ModelRecord From(ModelIdentity model) =>
        new(model.Path, model.Family.ToString(), model.ScalingFactor, model.ExecutionProvider) { Variant = model.Variant.ToString() };

    public ModelIdentity ToIdentity()
    {
        if (!Enum.TryParse(Family, ignoreCase: false, out ModelFamily family) || !Enum.IsDefined(family))
            throw new FormatException($"model family '{Family}' is not one of {string.Join(", ", Enum.GetNames<ModelFamily>())}");
        var variant = Variant is not null && Enum.TryParse(Variant, ignoreCase: false, out ModelVariant v) && Enum.IsDefined(v)
            ? v
            : family == ModelFamily.Sdxl ? ModelVariant.Sdxl : ModelVariant.UnknownSd;
        return new ModelIdentity(Path, family, variant, (float)ScalingFactor, ExecutionProvider);
    }
}

/// <summary>Convergence residuals of one inversion step.</summary>
public sealed record StepResiduals(int Timestep, float[] Values);

/// <summary>manifest.json of an inversion folder.</summary>
public sealed record InversionManifest
{
    public string Command { get; init; } = "invert";
    public int FormatVersion { get; init; } = 1;
    public required ModelRecord Model { get; init; }
    public required string Image { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required string Prompt { get; init; }
    public bool PromptTruncated { get; init; }
    public required string Scheduler { get; init; }
    public required ParameterRecord Parameters { get; init; }

    /// <summary>The preset the parameters started from (explicit options override it), e.g. "sdxl-turbo".</summary>
    public string? Preset { get; init; }

    /// <summary>LCM guidance scale w fed as timestep_cond (embedding of w - 1); null when the UNet takes none.</summary>
    public double? LcmGuidanceScale { get; init; }

    /// <summary>The full schedule, descending (sampling order).</summary>
    public required int[] Timesteps { get; init; }

    /// <summary>Timesteps inverted, lowest noise first.</summary>
    public required int[] InvertedTimesteps { get; init; }

    /// <summary>Index into <see cref="Timesteps"/> where denoising starts (strength below 1 skips the first ones).</summary>
    public required int StartIndex { get; init; }

    public required int[] LatentShape { get; init; }

    /// <summary>UNet evaluations during the inversion (a batched call counts once).</summary>
    public required int Nfe { get; init; }

    /// <summary>Model calls adaptive renoise saved against running every iteration.</summary>
    public int NfeSaved { get; init; }

    public required StepResiduals[] Residuals { get; init; }
    public required double Psnr { get; init; }
    public required double Ssim { get; init; }
    public required double TotalMs { get; init; }
    public required double InversionMs { get; init; }
    public required double OnnxRuntimeMs { get; init; }
    public required string[] Warnings { get; init; }
    public required string[] Files { get; init; }
}

/// <summary>manifest.json of an edit or reconstruction.</summary>
public sealed record DenoiseManifest
{
    public required string Command { get; init; }
    public int FormatVersion { get; init; } = 1;
    public required string Inversion { get; init; }
    public required ModelRecord Model { get; init; }
    public required string Prompt { get; init; }
    public required string SourcePrompt { get; init; }
    public bool PromptTruncated { get; init; }
    public required double Guidance { get; init; }
    public required string Scheduler { get; init; }
    public required int[] Timesteps { get; init; }
    public required int Nfe { get; init; }
    public double? Psnr { get; init; }
    public double? Ssim { get; init; }
    public required double TotalMs { get; init; }
    public required double OnnxRuntimeMs { get; init; }
    public required string[] Warnings { get; init; }
    public required string[] Files { get; init; }
}

/// <summary>An inversion folder read back: the inverted latent and the manifest it came with.</summary>
/// <param name="Folder">Where it was read from.</param>
public sealed record StoredInversion(string Folder, InversionManifest Manifest, InvertedLatent Inversion);

/// <summary>
/// The on-disk form of an <see cref="InvertedLatent"/> (the CLI contract): latent.npy, z0.npy,
/// noise.npy (stochastic schedulers), trajectory.npy, input.png, reconstruction.png and manifest.json.
/// </summary>
public static class InversionFolder
{
    public const string ManifestFile = "manifest.json";
    public const string LatentFile = "latent.npy";
    public const string CleanLatentFile = "z0.npy";
    public const string NoiseFile = "noise.npy";
    public const string TrajectoryFile = "trajectory.npy";
    public const string InputFile = "input.png";
    public const string ReconstructionFile = "reconstruction.png";
    public const string EditedFile = "edited.png";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes the arrays and images of <paramref name="result"/> into an existing folder; returns the file names, the manifest's included.</summary>
    public static string[] WriteArtifacts(string folder, InversionResult result)
    {
        var inversion = result.Inversion;
        int[] latentShape = inversion.Shape.ToNchw();
        var files = new List<string>();
        NpyArray.Write(Path.Combine(folder, LatentFile), inversion.Latent, latentShape);
        files.Add(LatentFile);
        NpyArray.Write(Path.Combine(folder, CleanLatentFile), result.CleanLatent, latentShape);
        files.Add(CleanLatentFile);
        if (inversion.NoiseMaps.Count > 0)
        {
            NpyArray.Write(Path.Combine(folder, NoiseFile), inversion.NoiseMaps.Data, inversion.NoiseMaps.ArrayShape);
            files.Add(NoiseFile);
        }
        var trajectory = result.Trajectory;
        var all = new float[trajectory.Count * inversion.Shape.Length];
        for (int k = 0; k < trajectory.Count; k++) trajectory[k].CopyTo(all, k * inversion.Shape.Length);
        NpyArray.Write(Path.Combine(folder, TrajectoryFile), all, [trajectory.Count, .. latentShape]);
        files.Add(TrajectoryFile);
        result.Input.SavePng(Path.Combine(folder, InputFile));
        files.Add(InputFile);
        result.Reconstruction.SavePng(Path.Combine(folder, ReconstructionFile));
        files.Add(ReconstructionFile);
        files.Add(ManifestFile);
        return files.ToArray();
    }

    /// <summary>The manifest of <paramref name="result"/>; the timings and file list are the writer's.</summary>
    public static InversionManifest ManifestFor(InversionResult result, string image, string? preset, string? noiseIn,
        double totalMs, double onnxRuntimeMs, string[] files)
    {
        var inversion = result.Inversion;
        var plan = result.Plan;
        return new InversionManifest
        {
            Model = ModelRecord.From(inversion.Model),
            Image = image,
            Width = inversion.Width,
            Height = inversion.Height,
            Prompt = inversion.Prompt,
            PromptTruncated = result.PromptTruncated,
            Scheduler = inversion.Scheduler,
            Parameters = ParameterRecord.From(inversion.Parameters, noiseIn),
            Preset = preset,
            LcmGuidanceScale = inversion.Parameters.LcmGuidanceScale,
            Timesteps = inversion.Timesteps.ToArray(),
            InvertedTimesteps = plan.InvertedTimesteps.ToArray(),
            StartIndex = inversion.StartIndex,
            LatentShape = inversion.Shape.ToNchw(),
            Nfe = result.Nfe,
            NfeSaved = result.NfeSaved,
            Residuals = plan.InvertedTimesteps.Select((t, i) => new StepResiduals(t, result.Residuals[i])).ToArray(),
            Psnr = result.Psnr,
            Ssim = result.Ssim,
            TotalMs = totalMs,
            InversionMs = Math.Round(result.InversionTime.TotalMilliseconds, 3),
            OnnxRuntimeMs = onnxRuntimeMs,
            Warnings = result.Warnings.ToArray(),
            Files = files,
        };
    }

    public static void WriteManifest<T>(string folder, T manifest) =>
        File.WriteAllText(Path.Combine(folder, ManifestFile), JsonSerializer.Serialize(manifest, Json));

    /// <summary>Reads an inversion folder; every problem is a one-line <see cref="ReNoiseInputException"/>.</summary>
    public static StoredInversion Read(string folder)
    {
        if (!Directory.Exists(folder)) throw new ReNoiseInputException($"inversion folder not found: {folder}");
        string manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new ReNoiseInputException($"{folder} is not an inversion folder: {manifestPath} is missing");
        var inversion = Read(name => File.Exists(Path.Combine(folder, name)) ? File.ReadAllBytes(Path.Combine(folder, name)) : null,
            name => Path.Combine(folder, name), out var manifest);
        return new StoredInversion(folder, manifest, inversion);
    }

    /// <summary>
    /// Reads an inversion from its files, wherever they are (a folder, an archive): <paramref name="file"/>
    /// gives a file's bytes or null when it is absent, <paramref name="describe"/> names it in messages.
    /// </summary>
    internal static InvertedLatent Read(Func<string, byte[]?> file, Func<string, string> describe, out InversionManifest manifest)
    {
        string manifestPath = describe(ManifestFile);
        byte[] manifestBytes = file(ManifestFile) ?? throw new ReNoiseInputException($"{manifestPath} is missing");
        manifest = ReadManifest(System.Text.Encoding.UTF8.GetString(manifestBytes), manifestPath);
        if (manifest.LatentShape is not [1, int c, int h, int w] || c <= 0 || h <= 0 || w <= 0)
            throw new ReNoiseInputException($"{manifestPath}: latentShape must be [1,C,h,w]");
        if (manifest.Timesteps is null || manifest.StartIndex < 0 || manifest.StartIndex >= manifest.Timesteps.Length)
            throw new ReNoiseInputException(
                $"{manifestPath}: the inversion's start index {manifest.StartIndex} is outside its {manifest.Timesteps?.Length ?? 0} timesteps");
        var shape = new LatentShape(c, h, w);

        var latent = ReadExact(file, describe, LatentFile, [1, c, h, w]);
        int stepCount = manifest.Timesteps.Length - manifest.StartIndex;
        var noise = NoiseMaps.None(shape);
        if (stepCount > 0 && file(NoiseFile) is not null)
            noise = new NoiseMaps(shape, stepCount, ReadExact(file, describe, NoiseFile, [stepCount, 1, c, h, w]));
        return ToInversion(manifest, shape, latent, noise, manifestPath);
    }

    /// <summary>Parses manifest.json text; <paramref name="source"/> names it in errors.</summary>
    public static InversionManifest ReadManifest(string json, string source)
    {
        InversionManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<InversionManifest>(json, Json)
                ?? throw new ReNoiseInputException($"{source} is empty");
        }
        catch (JsonException e)
        {
            throw new ReNoiseInputException($"{source} is not a valid inversion manifest ({e.Message})", e);
        }
        if (manifest.Command != "invert") throw new ReNoiseInputException($"{source} describes an {manifest.Command} run, not an inversion");
        // Present but null ("model": null, a model without "path") passes the JSON reader's required check.
        string? missing = manifest.Model is null ? "model"
            : manifest.Model.Path is null ? "model.path"
            : manifest.Model.Family is null ? "model.family"
            : manifest.Parameters is null ? "parameters"
            : manifest.Prompt is null ? "prompt"
            : manifest.Image is null ? "image"
            : manifest.Scheduler is null ? "scheduler"
            : manifest.Timesteps is null ? "timesteps"
            : manifest.InvertedTimesteps is null ? "inverted_timesteps"
            : null;
        if (missing is not null) throw new ReNoiseInputException($"{source} is not a valid inversion manifest (it has no {missing})");
        return manifest;
    }

    /// <summary>The inverted latent a manifest describes, with its arrays; checked for consistency.</summary>
    public static InvertedLatent ToInversion(InversionManifest manifest, LatentShape shape, float[] latent, NoiseMaps noise, string source)
    {
        try
        {
            var inversion = new InvertedLatent
            {
                Model = manifest.Model.ToIdentity(),
                Prompt = manifest.Prompt,
                Parameters = manifest.Parameters.ToParameters(manifest.Scheduler, manifest.Width, manifest.Height, manifest.LcmGuidanceScale),
                Timesteps = manifest.Timesteps,
                StartIndex = manifest.StartIndex,
                Shape = shape,
                Latent = latent,
                NoiseMaps = noise,
            };
            inversion.Validate();
            return inversion;
        }
        catch (Exception e) when (e is FormatException or ReNoiseInputException)
        {
            throw new ReNoiseInputException($"{source}: {e.Message}", e);
        }
    }

    private static float[] ReadExact(Func<string, byte[]?> file, Func<string, string> describe, string name, int[] shape)
    {
        string path = describe(name);
        byte[] bytes = file(name) ?? throw new ReNoiseInputException($"{path} is missing");
        var array = NpyArray.Parse(bytes, path);
        if (!array.Shape.SequenceEqual(shape))
            throw new ReNoiseInputException($"{path} has shape [{string.Join(",", array.Shape)}], expected [{string.Join(",", shape)}]");
        return array.Data;
    }
}
