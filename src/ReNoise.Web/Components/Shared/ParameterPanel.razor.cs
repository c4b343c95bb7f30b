using System.Globalization;
using Microsoft.AspNetCore.Components;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Services;

namespace ReNoise.Web.Components.Shared;

/// <summary>A field whose typed text is refused (not a number); <see cref="Message"/> null once it is fixed.</summary>
public sealed record FieldInputError(string InputId, string Label, string? Message);

public partial class ParameterPanel
{
    private const string ModelsOwn = "";

    /// <summary>The input (or select) that edits each parameter, for marking it and for the form's links to it.</summary>
    public static readonly IReadOnlyDictionary<ParameterKey, string> FieldIds = new Dictionary<ParameterKey, string>
    {
        [ParameterKey.InversionSteps] = "param-steps",
        [ParameterKey.RenoiseSteps] = "param-renoise-steps",
        [ParameterKey.FirstStepRenoiseCap] = "param-first-step-cap",
        [ParameterKey.Strength] = "param-strength",
        [ParameterKey.InversionGuidance] = "param-guidance",
        [ParameterKey.Seed] = "param-seed",
        [ParameterKey.AverageFirstStep] = "param-average-first-start",
        [ParameterKey.AverageOtherSteps] = "param-average-rest-start",
        [ParameterKey.LambdaAc] = "param-lambda-ac",
        [ParameterKey.LambdaKl] = "param-lambda-kl",
        [ParameterKey.RegularizationSteps] = "param-reg-steps",
        [ParameterKey.AcRolls] = "param-ac-rolls",
        [ParameterKey.RenoiseTolerance] = "param-renoise-tolerance",
    };

    /// <summary>Each typed field's name in messages.</summary>
    private static readonly IReadOnlyDictionary<string, string> InputLabels = new Dictionary<string, string>
    {
        ["param-steps"] = ParameterLabels.Label(ParameterKey.InversionSteps),
        ["param-renoise-steps"] = ParameterLabels.Label(ParameterKey.RenoiseSteps),
        ["param-first-step-cap"] = ParameterLabels.Label(ParameterKey.FirstStepRenoiseCap),
        ["param-seed"] = ParameterLabels.Label(ParameterKey.Seed),
        ["param-average-first-start"] = WindowName(ParameterKey.AverageFirstStep, "from"),
        ["param-average-first-end"] = WindowName(ParameterKey.AverageFirstStep, "to"),
        ["param-average-rest-start"] = WindowName(ParameterKey.AverageOtherSteps, "from"),
        ["param-average-rest-end"] = WindowName(ParameterKey.AverageOtherSteps, "to"),
        ["param-reg-steps"] = ParameterLabels.Label(ParameterKey.RegularizationSteps),
        ["param-ac-rolls"] = ParameterLabels.Label(ParameterKey.AcRolls),
    };

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

    /// <summary>
    /// Problems the form found beyond the values' own bounds (those of the model's plan: steps its
    /// schedule cannot take, a strength that inverts nothing), shown at their fields.
    /// </summary>
    [Parameter]
    public IReadOnlyDictionary<ParameterKey, string>? Problems { get; set; }

    /// <summary>Raised when a field's typed text is refused (not a number), and again once it is fixed.</summary>
    [Parameter]
    public EventCallback<FieldInputError> InputErrorChanged { get; set; }

    /// <summary>The message at each parameter's field: the form's, else the values' own bounds (field labels).</summary>
    private Dictionary<ParameterKey, string> _fieldErrors = [];

    /// <summary>Fields whose text is refused, by input id.</summary>
    private readonly Dictionary<string, string> _inputErrors = [];

    /// <summary>The parameters with a message at their field now.</summary>
    public IReadOnlyDictionary<ParameterKey, string> FieldErrors => _fieldErrors;

    private string SchedulerValue => Parameters.Scheduler ?? ModelsOwn;

    protected override void OnParametersSet() => _fieldErrors = Check(Parameters);

    private Dictionary<ParameterKey, string> Check(InversionParameters parameters)
    {
        var errors = new Dictionary<ParameterKey, string>();
        foreach (var problem in parameters.Validate()) errors.TryAdd(problem.Key, ParameterLabels.Describe(problem));
        if (Problems is not null)
            foreach (var (key, message) in Problems) errors.TryAdd(key, message);
        return errors;
    }

    private bool HasError(ParameterKey key) => _fieldErrors.ContainsKey(key);

    private string? FieldError(ParameterKey key) => _fieldErrors.GetValueOrDefault(key);

    /// <summary>
    /// A numeric field's own validation, which MudBlazor runs after each change and which overwrites
    /// the field's Error (so a message passed only as Error/ErrorText vanished in the browser): it
    /// reports the field's current message.
    /// </summary>
    private Func<double, string?> MessageOf(ParameterKey key) => _ => FieldError(key);

    /// <summary>A field's explanation and its accepted range.</summary>
    private static string Help(ParameterKey key, string text)
    {
        var (min, max) = InversionParameters.RangeOf(key);
        string range = key == ParameterKey.Strength
            ? "above 0, at most 1"
            : string.Create(CultureInfo.InvariantCulture, $"{min:0.###} to {max:0.###}");
        return key == ParameterKey.Seed ? text : $"{text} Range: {range}.";
    }

    private static string WindowName(ParameterKey key, string end) => $"{ParameterLabels.Label(key)} ({end})";

    private async Task OnInputError(string field, string? error)
    {
        if (error is null) _inputErrors.Remove(field);
        else _inputErrors[field] = error;
        await InputErrorChanged.InvokeAsync(new FieldInputError(field, InputLabels.GetValueOrDefault(field, field), error));
    }

    private async Task SetAsync(InversionParameters next)
    {
        Parameters = next;
        _fieldErrors = Check(next);
        await ParametersChanged.InvokeAsync(next);
    }

    private Task OnSchedulerChanged(string value) => SetAsync(Parameters with { Scheduler = value == ModelsOwn ? null : value });

    private Task OnExpandedChanged(bool expanded)
    {
        Expanded = expanded;
        return ExpandedChanged.InvokeAsync(expanded);
    }
}
