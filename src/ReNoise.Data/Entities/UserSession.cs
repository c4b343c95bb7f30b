namespace ReNoise.Data.Entities;

/// <summary>
/// Anonymous per-browser identity. The id lives in a cookie and is the only thing that scopes
/// gallery rows to a person, so it is generated server-side (never taken from the client).
/// </summary>
public sealed class UserSession
{
    public Guid Id { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime LastSeenAt { get; set; }
}
