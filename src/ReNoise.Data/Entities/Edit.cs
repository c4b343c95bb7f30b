namespace ReNoise.Data.Entities;

/// <summary>An image produced by denoising an inversion's latent with a new prompt.</summary>
public sealed class Edit
{
    public Guid Id { get; set; }
    public Guid InversionId { get; set; }
    /// <summary>Copied from the inversion so owner checks need no join.</summary>
    public Guid OwnerId { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The job that made it; unique, so a job delivered twice can never store two edits.</summary>
    public Guid? JobId { get; set; }
    public string Prompt { get; set; } = "";
    public double Guidance { get; set; }
    public byte[] ImagePng { get; set; } = [];
    public int Nfe { get; set; }
    public long DurationMs { get; set; }
}
