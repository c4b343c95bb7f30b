using System.Globalization;
using Microsoft.AspNetCore.Components;

namespace ReNoise.Web.Components.Shared;

public partial class WholeNumberField
{
    [Parameter, EditorRequired]
    public string Label { get; set; } = "";

    /// <summary>The field's name in messages, when its label alone does not say it (default: the label).</summary>
    [Parameter]
    public string? Name { get; set; }

    [Parameter]
    public string? InputId { get; set; }

    [Parameter]
    public string? HelperText { get; set; }

    [Parameter]
    public bool Disabled { get; set; }

    [Parameter]
    public int Value { get; set; }

    [Parameter]
    public EventCallback<int> ValueChanged { get; set; }

    /// <summary>Raised with the field's message when its text is not a whole number, and with null once it is again.</summary>
    [Parameter]
    public EventCallback<string?> InputErrorChanged { get; set; }

    [Parameter(CaptureUnmatchedValues = true)]
    public Dictionary<string, object?> Attributes { get; set; } = [];

    private string? _text;
    private string? _error;
    private int? _shown;

    /// <summary>The value the field's text does not hold, or null.</summary>
    public string? Error => _error;

    protected override void OnParametersSet()
    {
        // A new value from outside (a preset, a reset) replaces whatever was typed.
        if (_shown != Value)
        {
            _shown = Value;
            _text = Value.ToString(CultureInfo.InvariantCulture);
            _error = null;
        }
    }

    private async Task OnTextChangedAsync(string? text)
    {
        _text = text;
        string? before = _error;
        if (TryParse(text, out int value))
        {
            _error = null;
            if (before is not null) await InputErrorChanged.InvokeAsync(null);
            if (value != Value)
            {
                _shown = value;
                await ValueChanged.InvokeAsync(value);
            }
            return;
        }
        _error = Describe(Name ?? Label, text);
        await InputErrorChanged.InvokeAsync(_error);
    }

    public static bool TryParse(string? text, out int value) =>
        int.TryParse(text?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>The message for text that is not a whole number in the int range.</summary>
    public static string Describe(string label, string? text) => string.IsNullOrWhiteSpace(text)
        ? $"{label} is empty: enter a whole number"
        : $"{label} must be a whole number from {int.MinValue.ToString(CultureInfo.InvariantCulture)} to {int.MaxValue.ToString(CultureInfo.InvariantCulture)}, got {text.Trim()}";
}
