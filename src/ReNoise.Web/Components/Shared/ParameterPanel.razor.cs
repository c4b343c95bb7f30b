using Microsoft.AspNetCore.Components;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Services;

namespace ReNoise.Web.Components.Shared;

public partial class ParameterPanel
{
    private const string ModelsOwn = "";

    /// <summary>Every parameter, the scheduler included (null: the model's own).</summary>
    [Parameter, EditorRequired]
    public InversionParameters Parameters { get; set; } = default!;

    [Parameter]
    public EventCallback<InversionParameters> ParametersChanged { get; set; }

    /// <summary>The model's own scheduler, named in the picker.</summary>
    [Parameter]
    public string ModelScheduler { get; set; } = "";

    [Parameter]
    public bool Expanded { get; set; }

    [Parameter]
    public EventCallback<bool> ExpandedChanged { get; set; }

    /// <summary>Raised with the fields' messages while any field holds text that is not a number (null once none does).</summary>
    [Parameter]
    public EventCallback<string?> InputErrorChanged { get; set; }

    /// <summary>The fields' complaints about typed text, then the engine's about the current values (field labels), or none.</summary>
    public IReadOnlyList<string> Errors { get; private set; } = [];

    /// <summary>Fields whose text is refused, by input id, in the form's order of typing.</summary>
    private readonly Dictionary<string, string> _inputErrors = [];

    /// <summary>Why the typed text cannot be used (the values keep their last valid state), or null.</summary>
    public string? InputError => _inputErrors.Count == 0 ? null : string.Join(" ", _inputErrors.Values);

    private string? Error => Errors.Count == 0 ? null : string.Join(" ", Errors);

    private string SchedulerValue => Parameters.Scheduler ?? ModelsOwn;

    protected override void OnParametersSet() => Errors = Check(Parameters);

    private IReadOnlyList<string> Check(InversionParameters parameters) =>
        [.. _inputErrors.Values, .. parameters.Validate().Select(ParameterLabels.Describe)];

    private static string WindowName(ParameterKey key, string end) => $"{ParameterLabels.Label(key)} ({end})";

    private async Task OnInputError(string field, string? error)
    {
        if (error is null) _inputErrors.Remove(field);
        else _inputErrors[field] = error;
        Errors = Check(Parameters);
        await InputErrorChanged.InvokeAsync(InputError);
    }

    private async Task SetAsync(InversionParameters next)
    {
        Parameters = next;
        Errors = Check(next);
        await ParametersChanged.InvokeAsync(next);
    }

    private Task OnSchedulerChanged(string value) => SetAsync(Parameters with { Scheduler = value == ModelsOwn ? null : value });

    private Task OnExpandedChanged(bool expanded)
    {
        Expanded = expanded;
        return ExpandedChanged.InvokeAsync(expanded);
    }
}
