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

    /// <summary>The engine's complaints about the current values (field labels), or none.</summary>
    public IReadOnlyList<string> Errors { get; private set; } = [];

    private string? Error => Errors.Count == 0 ? null : string.Join(" ", Errors);

    private string SchedulerValue => Parameters.Scheduler ?? ModelsOwn;

    protected override void OnParametersSet() => Errors = Check(Parameters);

    private static IReadOnlyList<string> Check(InversionParameters parameters) =>
        parameters.Validate().Select(ParameterLabels.Describe).ToList();

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
