using Microsoft.AspNetCore.Components;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Services;

namespace ReNoise.Web.Components.Shared;

/// <summary>Edits to run: one per target prompt, all at one guidance.</summary>
public sealed record EditRequest(IReadOnlyList<string> Prompts, double Guidance);

public partial class EditPanel
{
    /// <summary>Rows one submission may hold.</summary>
    public const int MaxPrompts = 8;

    private static readonly double GuidanceMin = InversionParameters.RangeOf(ParameterKey.EditGuidance).Min;
    private static readonly double GuidanceMax = InversionParameters.RangeOf(ParameterKey.EditGuidance).Max;

    [Inject]
    private PromptTokenCounter Tokens { get; set; } = default!;

    /// <summary>The inversion's model (for the token counts).</summary>
    [Parameter, EditorRequired]
    public string Model { get; set; } = "";

    [Parameter, EditorRequired]
    public string SourcePrompt { get; set; } = "";

    /// <summary>Model calls of one edit (the inversion's steps).</summary>
    [Parameter]
    public int StepCount { get; set; }

    [Parameter]
    public bool IsDemo { get; set; }

    [Parameter]
    public bool Busy { get; set; }

    /// <summary>Why the last submission was refused, if it was.</summary>
    [Parameter]
    public string? Error { get; set; }

    [Parameter]
    public EventCallback<EditRequest> OnSubmit { get; set; }

    private readonly List<string?> _rows = [null];
    private readonly List<PromptTokenCount?> _tokens = [null];
    private readonly HashSet<int> _empty = [];
    private double _guidance = 1.0;

    private void OnPromptChanged(int row, string? value)
    {
        _rows[row] = value;
        _tokens[row] = string.IsNullOrWhiteSpace(value) ? null : Tokens.Count(Model, value);
        if (!string.IsNullOrWhiteSpace(value)) _empty.Remove(row);
    }

    private void AddRow()
    {
        if (_rows.Count >= MaxPrompts) return;
        _rows.Add(null);
        _tokens.Add(null);
    }

    private void RemoveRow(int row)
    {
        _rows.RemoveAt(row);
        _tokens.RemoveAt(row);
        _empty.Clear();
    }

    private async Task SubmitAsync()
    {
        _empty.Clear();
        var prompts = _rows.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => r!.Trim()).ToList();
        if (prompts.Count == 0)
        {
            _empty.Add(0);
            return;
        }
        // An empty row among filled ones is left out; the user sees which were sent as the jobs appear.
        await OnSubmit.InvokeAsync(new EditRequest(prompts, _guidance));
    }
}
