namespace ReNoise.Data.Entities;

/// <summary>The heavy parts of an inversion, each stored as its own row.</summary>
public enum InversionBlobKind
{
    /// <summary>The input image at working size (PNG).</summary>
    Input,
    /// <summary>Denoising of the inverted latent with the inversion prompt (PNG).</summary>
    Reconstruction,
    /// <summary>Small preview for gallery lists (PNG).</summary>
    Thumbnail,
    /// <summary>Inverted latent z_T, float32 little-endian (<see cref="FloatBlob"/>), shape <see cref="Inversion.LatentShape"/>.</summary>
    Latent,
    /// <summary>VAE-encoded input z_0, float32 little-endian, shape <see cref="Inversion.LatentShape"/>.</summary>
    CleanLatent,
    /// <summary>Per-step noise maps of stochastic schedulers, float32 little-endian, shape <see cref="Inversion.NoiseShape"/>.</summary>
    NoiseMaps,
}

/// <summary>
/// One image or tensor of an inversion, keyed by (inversion, kind), deleted with it. Kept out of the
/// <see cref="Inversion"/> row so that pages and lists read only what they show.
/// </summary>
public sealed class InversionBlob
{
    public Guid InversionId { get; set; }
    public InversionBlobKind Kind { get; set; }
    /// <summary>Copied from the inversion so owner checks need no join.</summary>
    public Guid OwnerId { get; set; }
    public byte[] Data { get; set; } = [];
}

/// <summary>A one-row table the health check writes to, to find out whether the database can be written.</summary>
public sealed class HealthProbe
{
    public int Id { get; set; }
    public DateTime CheckedAt { get; set; }
}
