using System.Text.Json;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;

namespace ReNoise.Web.Services;

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
    ParameterRecord Parameters,
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

/// <summary>Conversions between engine results and gallery rows.</summary>
public static class InversionRecords
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The row stored for a finished inversion.</summary>
    public static Inversion ToEntity(InversionResult result, StudioModel model, DiffusionModel loaded, string prompt,
        string? fileName, ReNoiseOptions options, TimeSpan onnxRuntime)
    {
        var s = result.Shape;
        int[] latentShape = [1, s.Channels, s.Height, s.Width];
        var noise = result.Trace.NoiseMaps;
        var residuals = result.Trace.InvertedTimesteps.Select((t, i) => new StepResiduals(t, result.Trace.Residuals[i])).ToArray();
        return new Inversion
        {
            ModelName = model.Name,
            ModelPath = loaded.Folder,
            ModelFamily = loaded.Family.ToString(),
            Prompt = prompt,
            SchedulerName = result.Scheduler,
            ParametersJson = JsonSerializer.Serialize(ParameterRecord.From(options, null), Json),
            TimestepsJson = JsonSerializer.Serialize(result.Timesteps, Json),
            StartIndex = result.StartIndex,
            Width = result.Input.Width,
            Height = result.Input.Height,
            SourceFileName = fileName,
            InputPng = ImageEncoding.ToPng(result.Input),
            ReconstructionPng = ImageEncoding.ToPng(result.Reconstruction),
            ThumbnailPng = ImageEncoding.ToThumbnailPng(result.Input),
            Latent = FloatBlob.ToBytes(result.Trace.Latent),
            LatentShape = FloatBlob.FormatShape(latentShape),
            CleanLatent = FloatBlob.ToBytes(result.CleanLatent),
            NoiseMaps = noise.Length == 0 ? [] : FloatBlob.ToBytes(Concat(noise)),
            NoiseShape = noise.Length == 0 ? "" : FloatBlob.FormatShape([noise.Length, .. latentShape]),
            ResidualsJson = JsonSerializer.Serialize(residuals, Json),
            Psnr = double.IsFinite(result.Psnr) ? result.Psnr : null,
            Ssim = double.IsFinite(result.Ssim) ? result.Ssim : null,
            Nfe = result.Trace.Nfe,
            InversionMs = (long)result.InversionTime.TotalMilliseconds,
            OnnxRuntimeMs = (long)onnxRuntime.TotalMilliseconds,
            WarningsJson = JsonSerializer.Serialize(result.Warnings, Json),
        };
    }

    public static InversionDetails ToDetails(Inversion row) => new(
        row.Id, row.CreatedAt, row.Prompt, row.ModelName, row.ModelFamily, row.SchedulerName, row.SourceFileName,
        row.Width, row.Height,
        ReadParameters(row.ParametersJson),
        JsonSerializer.Deserialize<int[]>(row.TimestepsJson, Json) ?? [],
        row.StartIndex,
        JsonSerializer.Deserialize<StepResiduals[]>(row.ResidualsJson, Json) ?? [],
        row.Psnr, row.Ssim, row.Nfe, row.InversionMs, row.OnnxRuntimeMs,
        JsonSerializer.Deserialize<string[]>(row.WarningsJson, Json) ?? [],
        row.LatentShape, row.NoiseShape);

    public static ParameterRecord ReadParameters(string json) =>
        JsonSerializer.Deserialize<ParameterRecord>(json, Json) ?? new ParameterRecord();

    /// <summary>
    /// What <see cref="InversionPipeline.Denoise"/> needs, from a gallery row: the inverted latent,
    /// the noise maps split per step, the schedule and the source prompt. No re-inversion.
    /// </summary>
    public static StoredInversion ToStored(Inversion row, DiffusionModel model)
    {
        var details = ToDetails(row);
        if (FloatBlob.ParseShape(row.LatentShape) is not [1, int c, int h, int w])
            throw new InvalidDataException($"inversion {row.Id} has latent shape '{row.LatentShape}', expected 1,C,h,w");
        var shape = new LatentShape(c, h, w);
        float[] latent = FloatBlob.ToFloats(row.Latent);
        float[][] noise = [];
        if (row.NoiseMaps.Length > 0)
        {
            float[] all = FloatBlob.ToFloats(row.NoiseMaps);
            noise = new float[all.Length / shape.Length][];
            for (int k = 0; k < noise.Length; k++) noise[k] = all.AsSpan(k * shape.Length, shape.Length).ToArray();
        }
        var manifest = new InversionManifest
        {
            Model = new ModelRecord(row.ModelPath, row.ModelFamily, model.ScalingFactor, model.ExecutionProvider),
            Image = row.SourceFileName ?? "",
            Width = row.Width,
            Height = row.Height,
            Prompt = row.Prompt,
            Scheduler = row.SchedulerName,
            Parameters = details.Parameters,
            Timesteps = [.. details.Timesteps],
            InvertedTimesteps = [.. details.Timesteps.Skip(row.StartIndex).Reverse()],
            StartIndex = row.StartIndex,
            LatentShape = [1, c, h, w],
            Nfe = row.Nfe,
            Residuals = [.. details.Residuals],
            Psnr = row.Psnr ?? double.NaN,
            Ssim = row.Ssim ?? double.NaN,
            TotalMs = row.InversionMs,
            InversionMs = row.InversionMs,
            OnnxRuntimeMs = row.OnnxRuntimeMs,
            Warnings = [.. details.Warnings],
            Files = [],
        };
        return new StoredInversion { Folder = $"gallery:{row.Id}", Manifest = manifest, Latent = latent, NoiseMaps = noise, Shape = shape };
    }

    private static float[] Concat(float[][] maps)
    {
        int n = maps[0].Length;
        var all = new float[maps.Length * n];
        for (int k = 0; k < maps.Length; k++) maps[k].CopyTo(all, k * n);
        return all;
    }
}
