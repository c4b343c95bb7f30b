using System.Globalization;
using Microsoft.AspNetCore.Components;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Services;

namespace ReNoise.Web.Components.Shared;

public partial class WorkingSizePicker
{
    /// <summary>The model's native side.</summary>
    [Parameter, EditorRequired]
    public int Native { get; set; }

    [Parameter]
    public int Width { get; set; }

    [Parameter]
    public int Height { get; set; }

    /// <summary>The photo's displayed size, when one is chosen (offers its shape).</summary>
    [Parameter]
    public (int Width, int Height)? Photo { get; set; }

    [Parameter]
    public EventCallback<(int Width, int Height)> SizeChanged { get; set; }

    /// <summary>The form's problems with the width and height, shown at the custom fields.</summary>
    [Parameter]
    public IReadOnlyDictionary<ParameterKey, string>? Problems { get; set; }

    [Parameter]
    public EventCallback<FieldInputError> InputErrorChanged { get; set; }

    [Parameter]
    public bool Disabled { get; set; }

    private IReadOnlyList<WorkingSizeOption> _options = [];
    private string _key = WorkingSizes.Native;
    private bool _custom;

    private static string RangeText
    {
        get
        {
            var (min, max) = WorkingSizes.Range;
            return string.Create(CultureInfo.InvariantCulture, $"{min:0} to {max:0} pixels, a multiple of {InversionParameters.SideMultiple}");
        }
    }

    protected override void OnParametersSet()
    {
        _options = WorkingSizes.For(Native, Photo);
        // "Custom" stays chosen while the user types, even when the size matches an option on the way.
        string matching = WorkingSizes.KeyOf(_options, Width, Height);
        _key = _custom || matching == WorkingSizes.Custom || Problems?.ContainsKey(ParameterKey.Width) == true || Problems?.ContainsKey(ParameterKey.Height) == true
            ? WorkingSizes.Custom
            : matching;
    }

    private async Task OnKeyChangedAsync(string key)
    {
        _custom = key == WorkingSizes.Custom;
        _key = key;
        if (_options.FirstOrDefault(o => o.Key == key) is { } option) await SizeChanged.InvokeAsync((option.Width, option.Height));
    }
}
