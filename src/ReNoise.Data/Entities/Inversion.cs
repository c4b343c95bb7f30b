namespace ReNoise.Data.Entities;

/// <summary>
/// One ReNoise inversion of an uploaded photo: the parameters it ran with, the shapes of its
/// tensors, and the quality and timing figures. The heavy parts (images, the inverted latent z_T,
/// the clean latent z_0 and the per-step noise maps) are <see cref="InversionBlob"/> rows, so that
/// reading or listing inversions never loads them.
/// </summary>
public sealed class Inversion
{
    public Guid Id { get; set; }
    public Guid OwnerId { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The job that made it; unique, so a job delivered twice can never store two inversions.</summary>
    public Guid? JobId { get; set; }

    public string ModelName { get; set; } = "";
    public string ModelPath { get; set; } = "";
    public string ModelFamily { get; set; } = "";
    public string Prompt { get; set; } = "";
    public string SchedulerName { get; set; } = "";

    /// <summary>All ReNoise parameters (steps, renoise steps, averaging window, regularizers...) as JSON.</summary>
    public string ParametersJson { get; set; } = "{}";
    /// <summary>The scheduler's timesteps the inversion walked, as a JSON array.</summary>
    public string TimestepsJson { get; set; } = "[]";
    /// <summary>Index into the timesteps where denoising for edits starts (strength).</summary>
    public int StartIndex { get; set; }
    public int Width { get; set; }
    public int Height { get; set; }
    public string? SourceFileName { get; set; }

    /// <summary>Shape of the latent and clean-latent blobs (<see cref="InversionBlobKind"/>), e.g. "1,4,64,64".</summary>
    public string LatentShape { get; set; } = "";
    /// <summary>Shape of the noise-map blob, e.g. "4,1,4,64,64"; empty when there are none (DDIM).</summary>
    public string NoiseShape { get; set; } = "";

    /// <summary>Per-step convergence residuals of the renoising iterations, as JSON.</summary>
    public string ResidualsJson { get; set; } = "[]";
    public double? Psnr { get; set; }
    public double? Ssim { get; set; }
    /// <summary>Number of UNet evaluations the inversion used.</summary>
    public int Nfe { get; set; }
    public long InversionMs { get; set; }
    public long OnnxRuntimeMs { get; set; }
    public string WarningsJson { get; set; } = "[]";
}
