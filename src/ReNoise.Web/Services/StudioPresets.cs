using ReNoise.Data;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Jobs;

namespace ReNoise.Web.Services;

/// <summary>A named set of parameters a session saved (<see cref="Model"/>: the model it was saved with).</summary>
public sealed record StudioPreset(Guid Id, string Name, string Model, InversionParameters Parameters);

/// <summary>A session's named parameter presets: the gallery's rows, holding the engine's parameter model as the job requests write it.</summary>
public sealed class StudioPresets(GalleryStore store)
{
    public const int MaxNameLength = GalleryStore.MaxPresetNameLength;

    public async Task<IReadOnlyList<StudioPreset>> ListAsync(Guid owner, CancellationToken cancellationToken = default)
    {
        var rows = await store.ListPresetsAsync(owner, cancellationToken);
        var presets = new List<StudioPreset>(rows.Count);
        foreach (var row in rows)
        {
            try
            {
                presets.Add(new StudioPreset(row.Id, row.Name, row.ModelName, JobJson.Read<InversionParameters>(row.ParametersJson)));
            }
            catch (System.Text.Json.JsonException)
            {
                // Written by another version in a form this one cannot read: left out, not shown broken.
            }
        }
        return presets;
    }

    /// <summary>Saves (or replaces, by name) a preset; returns it, or why it was not saved.</summary>
    public async Task<(StudioPreset? Preset, string? Error)> SaveAsync(Guid owner, string? name, string model, InversionParameters parameters,
        CancellationToken cancellationToken = default)
    {
        name = name?.Trim() ?? "";
        if (name.Length == 0) return (null, "Give the preset a name.");
        if (name.Length > MaxNameLength) return (null, $"A preset name has at most {MaxNameLength} characters; this one has {name.Length}.");
        var saved = await store.SavePresetAsync(owner, name, model, JobJson.Write(parameters), cancellationToken);
        return saved is null
            ? (null, $"This browser already keeps {GalleryStore.MaxPresetsPerSession} presets, the most one session may; delete one first.")
            : (new StudioPreset(saved.Id, saved.Name, saved.ModelName, parameters), null);
    }

    public Task<bool> DeleteAsync(Guid owner, Guid id, CancellationToken cancellationToken = default) => store.DeletePresetAsync(owner, id, cancellationToken);
}
