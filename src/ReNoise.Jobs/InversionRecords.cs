using System.Text.Json;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Tensors;
using ReNoise.Formats;

namespace ReNoise.Jobs;

/// <summary>An inversion as the result and edit pages show it: everything but the tensors and images.</summary>
public sealed record InversionDetails(
    Guid Id,
    DateTime CreatedAt,
    string Prompt,
    string ModelName,
    string ModelFamily,
    string SchedulerName,
    string? SourceFileName,
    int Width,
    int Height,
    InversionParameters Parameters,
    IReadOnlyList<int> Timesteps,
    int StartIndex,
    IReadOnlyList<StepResiduals> Residuals,
    double? Psnr,
    double? Ssim,
    int Nfe,
    long InversionMs,
    long OnnxRuntimeMs,
    IReadOnlyList<string> Warnings,
    string LatentShape,
    string NoiseShape)
{
    public bool HasNoiseMaps => NoiseShape.Length > 0;

    /// <summary>The timesteps an edit denoises over (descending).</summary>
    public IEnumerable<int> DenoisedTimesteps => Timesteps.Skip(StartIndex);
}

/// <summary>
/// The gallery row as a serialization of the engine's <see cref="InvertedLatent"/> (the CLI's folder is
/// the other): the latent and noise maps as float blobs, the parameters as the manifest's JSON.
/// </summary>
public static class InversionRecords
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The row and blobs stored for a finished inversion.</summary>
    public static NewInversion ToEntity(InversionResult result, string modelName, string? fileName, TimeSpan onnxRuntime)
    {
        var inversion = result.Inversion;
        var noise = inversion.NoiseMaps;
        var residuals = result.Plan.InvertedTimesteps.Select((t, i) => new StepResiduals(t, result.Residuals[i])).ToArray();
        var row = new Inversion
        {
            ModelName = modelName,
            ModelPath = inversion.Model.Path,
            ModelFamily = inversion.Model.Family.ToString(),
            Prompt = inversion.Prompt,
            SchedulerName = inversion.Scheduler,
            ParametersJson = JsonSerializer.Serialize(ParameterRecord.From(inversion.Parameters), Json),
            TimestepsJson = JsonSerializer.Serialize(inversion.Timesteps, Json),
            StartIndex = inversion.StartIndex,
            Width = inversion.Width,
            Height = inversion.Height,
            SourceFileName = fileName,
            LatentShape = FloatBlob.FormatShape(inversion.Shape.ToNchw()),
            NoiseShape = noise.Count == 0 ? "" : FloatBlob.FormatShape(noise.ArrayShape),
            ResidualsJson = JsonSerializer.Serialize(residuals, Json),
            Psnr = double.IsFinite(result.Psnr) ? result.Psnr : null,
            Ssim = double.IsFinite(result.Ssim) ? result.Ssim : null,
            Nfe = result.Nfe,
            InversionMs = (long)result.InversionTime.TotalMilliseconds,
            OnnxRuntimeMs = (long)onnxRuntime.TotalMilliseconds,
            WarningsJson = JsonSerializer.Serialize(result.Warnings, Json),
        };
        var files = new InversionFiles(
            InputPng: ImageEncoding.ToPng(result.Input),
            ReconstructionPng: ImageEncoding.ToPng(result.Reconstruction),
            ThumbnailPng: ImageEncoding.ToThumbnailPng(result.Input),
            Latent: FloatBlob.ToBytes(inversion.Latent),
            CleanLatent: FloatBlob.ToBytes(result.CleanLatent),
            NoiseMaps: noise.Count == 0 ? [] : FloatBlob.ToBytes(noise.Data));
        return new NewInversion(row, files);
    }

    public static InversionDetails ToDetails(Inversion row) => new(
        row.Id, row.CreatedAt, row.Prompt, row.ModelName, row.ModelFamily, row.SchedulerName, row.SourceFileName,
        row.Width, row.Height,
        ReadParameters(row.ParametersJson, row.SchedulerName, row.Width, row.Height),
        JsonSerializer.Deserialize<int[]>(row.TimestepsJson, Json) ?? [],
        row.StartIndex,
        JsonSerializer.Deserialize<StepResiduals[]>(row.ResidualsJson, Json) ?? [],
        row.Psnr, row.Ssim, row.Nfe, row.InversionMs, row.OnnxRuntimeMs,
        JsonSerializer.Deserialize<string[]>(row.WarningsJson, Json) ?? [],
        row.LatentShape, row.NoiseShape);

    /// <summary>The parameters stored as the manifest's JSON, with the row's scheduler and size.</summary>
    public static InversionParameters ReadParameters(string json, string? scheduler = null, int? width = null, int? height = null) =>
        (JsonSerializer.Deserialize<ParameterRecord>(json, Json) ?? throw new InvalidDataException("the parameters are empty"))
            .ToParameters(scheduler, width, height);

    /// <summary>
    /// The engine's inverted latent from a gallery row and its latent and noise-map blobs (what
    /// <see cref="InversionPipeline.Denoise"/> takes): schedule, parameters and model identity from the row.
    /// A row that does not hold together is a <see cref="ReNoiseInputException"/>.
    /// </summary>
    public static InvertedLatent ToInversion(Inversion row, byte[] latent, byte[]? noiseMaps)
    {
        if (FloatBlob.ParseShape(row.LatentShape) is not [1, int c, int h, int w])
            throw new InvalidDataException($"inversion {row.Id} has latent shape '{row.LatentShape}', expected 1,C,h,w");
        var shape = new LatentShape(c, h, w);
        var details = ToDetails(row);
        float[] noise = noiseMaps is { Length: > 0 } ? FloatBlob.ToFloats(noiseMaps) : [];
        var inversion = new InvertedLatent
        {
            Model = new ModelRecord(row.ModelPath, row.ModelFamily, 0, "").ToIdentity(),
            Prompt = row.Prompt,
            Parameters = details.Parameters,
            Timesteps = details.Timesteps,
            StartIndex = row.StartIndex,
            Shape = shape,
            Latent = FloatBlob.ToFloats(latent),
            NoiseMaps = new NoiseMaps(shape, noise.Length / shape.Length, noise),
        };
        inversion.Validate();
        return inversion;
    }
}
