namespace ReNoise.Data.Entities;

/// <summary>
/// A named set of inversion parameters a session saved in the studio, to apply again later. The
/// parameters are the engine's parameter model as JSON (the web's format; this layer does not read it).
/// </summary>
public sealed class ParameterPreset
{
    public Guid Id { get; set; }
    public Guid OwnerId { get; set; }
    public string Name { get; set; } = "";
    /// <summary>The model the preset was saved with (its working size and scheduler were chosen for it).</summary>
    public string ModelName { get; set; } = "";
    public string ParametersJson { get; set; } = "{}";
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
