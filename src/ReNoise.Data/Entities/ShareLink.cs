namespace ReNoise.Data.Entities;

/// <summary>
/// A public read-only link to an inversion (and optionally one of its edits). The token is the
/// only secret: at least 128 random bits, URL-safe base64 without padding.
/// </summary>
public sealed class ShareLink
{
    public Guid Id { get; set; }
    public string Token { get; set; } = "";
    public Guid OwnerId { get; set; }
    public Guid InversionId { get; set; }
    public Guid? EditId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
