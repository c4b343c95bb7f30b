using Microsoft.AspNetCore.Components;
using MudBlazor;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Services;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Components.Shared;

public partial class PresetPicker
{
    private const string ModelsOwn = "";

    [Inject]
    private StudioPresets Presets { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [CascadingParameter]
    public StudioSession Session { get; set; } = StudioSession.None;

    /// <summary>The model the form is on (saved with the preset).</summary>
    [Parameter, EditorRequired]
    public string Model { get; set; } = "";

    /// <summary>The name of the model's own preset, the first choice.</summary>
    [Parameter, EditorRequired]
    public string ModelPresetName { get; set; } = "";

    /// <summary>The parameters the form holds now (what "Save" keeps).</summary>
    [Parameter, EditorRequired]
    public InversionParameters Parameters { get; set; } = default!;

    /// <summary>Raised with the chosen saved preset, or null for the model's own.</summary>
    [Parameter]
    public EventCallback<StudioPreset?> OnApply { get; set; }

    /// <summary>Raised when the preset in effect was deleted (the parameters stay as they are).</summary>
    [Parameter]
    public EventCallback OnDeleted { get; set; }

    [Parameter]
    public bool Disabled { get; set; }

    private IReadOnlyList<StudioPreset> _presets = [];
    private string _selected = ModelsOwn;
    private bool _saving;
    private string? _name;
    private string? _error;
    private string _model = "";

    protected override async Task OnParametersSetAsync()
    {
        if (_model != Model)
        {
            // Another model: its own preset is in effect again (the form reset its parameters).
            _model = Model;
            _selected = ModelsOwn;
        }
        if (Session.Exists && _presets.Count == 0) _presets = await Presets.ListAsync(Session.OwnerId);
    }

    private async Task ApplyAsync(string value)
    {
        _selected = value;
        var preset = _presets.FirstOrDefault(p => p.Id.ToString() == value);
        await OnApply.InvokeAsync(preset);
    }

    private void StartSaving()
    {
        _saving = true;
        _error = null;
        _name = _presets.FirstOrDefault(p => p.Id.ToString() == _selected)?.Name;
    }

    private async Task SaveAsync()
    {
        var (saved, error) = await Presets.SaveAsync(Session.OwnerId, _name, Model, Parameters);
        if (saved is null)
        {
            _error = error;
            return;
        }
        _presets = await Presets.ListAsync(Session.OwnerId);
        _selected = saved.Id.ToString();
        _saving = false;
        _error = null;
        await OnApply.InvokeAsync(saved);
        Snackbar.Add($"Preset “{saved.Name}” saved", Severity.Success);
    }

    private async Task DeleteAsync()
    {
        if (!Guid.TryParse(_selected, out var id)) return;
        string? name = _presets.FirstOrDefault(p => p.Id == id)?.Name;
        await Presets.DeleteAsync(Session.OwnerId, id);
        _presets = await Presets.ListAsync(Session.OwnerId);
        _selected = ModelsOwn;
        await OnDeleted.InvokeAsync();
        Snackbar.Add($"Preset “{name}” deleted", Severity.Info);
    }
}
