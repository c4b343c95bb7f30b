using System.Text.Json;
using System.Text.Json.Serialization;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.IO;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>The model an inversion was made with, as recorded in its manifest.</summary>
public sealed record ModelRecord(string Path, string Family, double ScalingFactor, string ExecutionProvider)
{
    /// <summary>The detected model variant (SdxlTurbo, Lcm, ...); null in manifests written before it was recorded.</summary>
    public string? Variant { get; init; }
}

/// <summary>Every ReNoise parameter as the CLI spells it.</summary>
public sealed record ParameterRecord
{
    public int Steps { get; init; }
    public int RenoiseSteps { get; init; }
    public int FirstStepRenoiseCap { get; init; }
    public double Strength { get; init; }
    public bool Average { get; init; }
    public string AverageFirst { get; init; } = "";
    public string AverageRest { get; init; } = "";
    public double Guidance { get; init; }
    public double LambdaAc { get; init; }
    public double LambdaKl { get; init; }
    public int RegSteps { get; init; }
    public int AcRolls { get; init; }
    public string NoiseCorrection { get; init; } = "";
    public int Seed { get; init; }
    public string? NoiseIn { get; init; }
    public double RenoiseTolerance { get; init; }
    public string RenoiseAccel { get; init; } = "none";

    public static ParameterRecord From(ReNoiseOptions o, string? noiseIn) => new()
    {
        Steps = o.InversionSteps,
        RenoiseSteps = o.RenoiseSteps,
        FirstStepRenoiseCap = o.FirstStepRenoiseCap,
        Strength = o.Strength,
        Average = o.Averaging,
        AverageFirst = o.AverageFirstStep.ToString(),
        AverageRest = o.AverageOtherSteps.ToString(),
        Guidance = o.InversionGuidance,
        LambdaAc = o.LambdaAc,
        LambdaKl = o.LambdaKl,
        RegSteps = o.RegularizationSteps,
        AcRolls = o.AcRolls,
        NoiseCorrection = NoiseCorrectionNames.ToCli(o.NoiseCorrection),
        Seed = o.Seed,
        NoiseIn = noiseIn,
        RenoiseTolerance = o.RenoiseTolerance,
        RenoiseAccel = RenoiseAccelerationNames.ToCli(o.RenoiseAcceleration),
    };
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

    /// <summary>Model calls adaptive renoise (--renoise-tolerance) saved against running every iteration.</summary>
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

/// <summary>An inversion read back from its folder: what editing and reconstruction need.</summary>
public sealed class StoredInversion
{
    public required string Folder { get; init; }
    public required InversionManifest Manifest { get; init; }
    public required float[] Latent { get; init; }
    public required float[][] NoiseMaps { get; init; }
    public required LatentShape Shape { get; init; }

    public string Scheduler => Manifest.Scheduler;
    public int Steps => Manifest.Parameters.Steps;
    public int StartIndex => Manifest.StartIndex;
    public string SourcePrompt => Manifest.Prompt;
    public int Width => Manifest.Width;
    public int Height => Manifest.Height;
}

/// <summary>
/// The on-disk form of an inversion (the CLI contract): latent.npy, z0.npy, noise.npy (stochastic
/// schedulers), trajectory.npy, input.png, reconstruction.png and manifest.json.
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

    /// <summary>Writes the arrays and images of <paramref name="result"/> into an existing folder; returns the file names.</summary>
    public static string[] WriteArtifacts(string folder, InversionResult result)
    {
        var s = result.Shape;
        var files = new List<string>();
        Npy.Write(Path.Combine(folder, LatentFile), result.Trace.Latent, [1, s.Channels, s.Height, s.Width]);
        files.Add(LatentFile);
        Npy.Write(Path.Combine(folder, CleanLatentFile), result.CleanLatent, [1, s.Channels, s.Height, s.Width]);
        files.Add(CleanLatentFile);
        if (result.Trace.NoiseMaps.Length > 0)
        {
            Npy.Write(Path.Combine(folder, NoiseFile), Concat(result.Trace.NoiseMaps), [result.Trace.NoiseMaps.Length, 1, s.Channels, s.Height, s.Width]);
            files.Add(NoiseFile);
        }
        Npy.Write(Path.Combine(folder, TrajectoryFile), Concat(result.Trace.Trajectory), [result.Trace.Trajectory.Count, 1, s.Channels, s.Height, s.Width]);
        files.Add(TrajectoryFile);
        ImageFiles.SavePng(result.Input, Path.Combine(folder, InputFile));
        files.Add(InputFile);
        ImageFiles.SavePng(result.Reconstruction, Path.Combine(folder, ReconstructionFile));
        files.Add(ReconstructionFile);
        files.Add(ManifestFile);
        return files.ToArray();
    }

    public static void WriteManifest<T>(string folder, T manifest) =>
        File.WriteAllText(Path.Combine(folder, ManifestFile), JsonSerializer.Serialize(manifest, Json));

    /// <summary>Reads an inversion folder; every problem is a one-line <see cref="ReNoiseInputException"/>.</summary>
    public static StoredInversion Read(string folder)
    {
        if (!Directory.Exists(folder)) throw new ReNoiseInputException($"inversion folder not found: {folder}");
        string manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new ReNoiseInputException($"{folder} is not an inversion folder: {manifestPath} is missing");
        InversionManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<InversionManifest>(File.ReadAllText(manifestPath), Json)
                ?? throw new ReNoiseInputException($"{manifestPath} is empty");
        }
        catch (JsonException e)
        {
            throw new ReNoiseInputException($"{manifestPath} is not a valid inversion manifest ({e.Message})", e);
        }
        if (manifest.Command != "invert") throw new ReNoiseInputException($"{manifestPath} describes an {manifest.Command} run, not an inversion");
        if (manifest.LatentShape is not [1, int c, int h, int w]) throw new ReNoiseInputException($"{manifestPath}: latentShape must be [1,C,h,w]");
        var shape = new LatentShape(c, h, w);

        var latent = ReadExact(Path.Combine(folder, LatentFile), [1, c, h, w]);
        int stepCount = manifest.Timesteps.Length - manifest.StartIndex;
        float[][] noise = [];
        string noisePath = Path.Combine(folder, NoiseFile);
        if (File.Exists(noisePath))
        {
            var all = ReadExact(noisePath, [stepCount, 1, c, h, w]);
            noise = new float[stepCount][];
            for (int k = 0; k < stepCount; k++) noise[k] = all.AsSpan(k * shape.Length, shape.Length).ToArray();
        }
        return new StoredInversion { Folder = folder, Manifest = manifest, Latent = latent, NoiseMaps = noise, Shape = shape };
    }

    private static float[] ReadExact(string path, int[] shape)
    {
        if (!File.Exists(path)) throw new ReNoiseInputException($"{path} is missing");
        var array = Npy.Read(path);
        if (!array.Shape.SequenceEqual(shape))
            throw new ReNoiseInputException($"{path} has shape [{string.Join(",", array.Shape)}], expected [{string.Join(",", shape)}]");
        return array.Data;
    }

    private static float[] Concat(IReadOnlyList<float[]> maps)
    {
        int n = maps.Count == 0 ? 0 : maps[0].Length;
        var all = new float[maps.Count * n];
        for (int k = 0; k < maps.Count; k++) maps[k].CopyTo(all, k * n);
        return all;
    }
}
