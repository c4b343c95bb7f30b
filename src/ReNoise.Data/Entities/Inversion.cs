namespace ReNoise.Data.Entities;

/// <summary>
/// One ReNoise inversion of an uploaded photo: the parameters it ran with, the inverted latent
/// z_T (with the clean latent z_0 and the per-step noise maps needed to edit it), the images a
/// person looks at, and the quality and timing figures.
/// Float tensors are little-endian float32 blobs (<see cref="FloatBlob"/>) with a shape string
/// such as "1,4,64,64".
/// </summary>
public sealed class Inversion
{
    public Guid Id { get; set; }
    public Guid OwnerId { get; set; }
    public DateTime CreatedAt { get; set; }

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

    /// <summary>The input image at working size (PNG).</summary>
    public byte[] InputPng { get; set; } = [];
    /// <summary>Denoising of the inverted latent with the inversion prompt (PNG).</summary>
    public byte[] ReconstructionPng { get; set; } = [];
    /// <summary>Small preview for gallery lists (PNG).</summary>
    public byte[] ThumbnailPng { get; set; } = [];

    /// <summary>Inverted latent z_T, float32 little-endian.</summary>
    public byte[] Latent { get; set; } = [];
    /// <summary>Shape of <see cref="Latent"/> and <see cref="CleanLatent"/>, e.g. "1,4,64,64".</summary>
    public string LatentShape { get; set; } = "";
    /// <summary>VAE-encoded input z_0, float32 little-endian.</summary>
    public byte[] CleanLatent { get; set; } = [];
    /// <summary>Per-step noise maps for non-deterministic schedulers; empty for DDIM.</summary>
    public byte[] NoiseMaps { get; set; } = [];
    /// <summary>Shape of <see cref="NoiseMaps"/>, e.g. "4,1,4,64,64"; empty when there are none.</summary>
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
