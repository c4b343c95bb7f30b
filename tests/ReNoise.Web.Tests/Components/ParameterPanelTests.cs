using Bunit;
using MudBlazor;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Components.Shared;
using ReNoise.Web.Services;

namespace ReNoise.Web.Tests.Components;

public sealed class ParameterPanelTests : StudioTestContext
{
    // Spec §2, in the panel: every parameter of the inversion (edit guidance is on the edit form).
    private static readonly string[] NumericFields =
    [
        "param-steps", "param-renoise-steps", "param-first-step-cap", "param-strength", "param-guidance", "param-seed",
        "param-average-first-start", "param-average-first-end", "param-average-rest-start", "param-average-rest-end",
        "param-lambda-ac", "param-lambda-kl", "param-reg-steps", "param-ac-rolls", "param-renoise-tolerance",
    ];

    private int _changes;

    /// <summary>The message under a field (MudBlazor shows it instead of the field's help), or null.</summary>
    private static string? FieldError(IRenderedComponent<ParameterPanel> panel, string id) =>
        panel.Find($"#{id}").Closest(".mud-input-control")?.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim() is { Length: > 0 } text ? text : null;
    private InversionParameters _current = InversionParameters.Default;

    private IRenderedComponent<ParameterPanel> RenderPanel(InversionParameters parameters)
    {
        _current = parameters;
        Render<MudPopoverProvider>();
        return Render<ParameterPanel>(p => p
            .Add(x => x.Parameters, parameters)
            .Add(x => x.Expanded, true)
            .Add(x => x.ModelScheduler, "euler-ancestral")
            .Add(x => x.ParametersChanged, (InversionParameters changed) =>
            {
                _current = changed;
                _changes++;
            }));
    }

    [Fact]
    public void Every_parameter_has_a_field_showing_its_value_and_an_explanation_of_raising_it()
    {
        var panel = RenderPanel(InversionParameters.Default);

        foreach (string id in NumericFields) panel.Find($"#{id}");
        panel.Find("[data-testid=param-averaging]");
        panel.Find("[data-testid=param-noise-correction]");
        panel.Find("[data-testid=param-scheduler]");
        Assert.Equal("4", panel.Find("#param-steps").GetAttribute("value"));
        Assert.Equal("9", panel.Find("#param-renoise-steps").GetAttribute("value"));
        Assert.Equal("0.065", panel.Find("#param-lambda-kl").GetAttribute("value"));
        Assert.Equal("8", panel.Find("#param-average-rest-start").GetAttribute("value"));
        Assert.Equal("7865", panel.Find("#param-seed").GetAttribute("value"));

        var help = panel.FindAll(".mud-input-helper-text").Select(h => h.TextContent.Trim()).Where(t => t.Length > 0).ToList();
        Assert.True(help.Count >= 12, $"only {help.Count} fields explain themselves");
        Assert.All(help, text => Assert.True(text.Length > 40, $"'{text}' is not an explanation"));
        Assert.Contains(help, t => t.StartsWith("Extra fixed-point iterations per step", StringComparison.Ordinal) && t.Contains("Raising it"));
        Assert.Contains("Average the noise predictions", panel.Find(".param-help").TextContent);
        Assert.All(NumericFields, id => Assert.Null(FieldError(panel, id)));
        // Each numeric field names its range (the engine's bounds).
        Assert.Contains("Range: 1 to 1000.", panel.Find("#param-steps").Closest(".mud-input-control")!.TextContent);
        Assert.Contains("Range: 0 to 1000.", panel.Find("#param-lambda-ac").Closest(".mud-input-control")!.TextContent);
        Assert.Contains("Range: above 0, at most 1.", panel.Find("#param-strength").Closest(".mud-input-control")!.TextContent);
    }

    [Fact]
    public void Adaptive_tolerance_and_acceleration_reach_the_engine_options_and_are_validated()
    {
        var panel = RenderPanel(InversionParameters.Default);
        panel.Find("[data-testid=param-renoise-accel]");

        panel.Find("#param-renoise-tolerance").Change("0.2");
        Assert.Equal(InversionParameters.Default with { RenoiseTolerance = 0.2 }, _current);

        panel.Find("#param-renoise-tolerance").Change("-1");
        Assert.Equal("Adaptive tolerance must be a number from 0 to 1, got -1", FieldError(panel, "param-renoise-tolerance"));
        Assert.Equal("true", panel.Find("#param-renoise-tolerance").GetAttribute("aria-invalid"));
    }

    [Fact]
    public void An_out_of_range_value_shows_the_engines_message_until_it_is_fixed()
    {
        var panel = RenderPanel(InversionParameters.Default);

        panel.Find("#param-steps").Change("0");
        Assert.Equal(0, _current.InversionSteps);
        Assert.Equal("Inversion steps N must be at least 1, got 0", FieldError(panel, "param-steps"));
        Assert.Equal(1, _changes);
        // The message is at its field only, once.
        Assert.Single(panel.FindAll(".mud-input-helper-text"), e => e.TextContent.Contains("Inversion steps N must be at least 1"));

        panel.Find("#param-steps").Change("6");
        Assert.Null(FieldError(panel, "param-steps"));

        panel.Find("#param-lambda-ac").Change("-2");
        Assert.Equal("λ AC must be a number from 0 to 1000, got -2", FieldError(panel, "param-lambda-ac"));
        panel.Find("#param-lambda-ac").Change("20");

        panel.Find("#param-average-rest-start").Change("10");
        Assert.Equal("Averaging window for t ≥ 250 must start before it ends, got 10:10", FieldError(panel, "param-average-rest-start"));
        Assert.Equal(new AveragingWindow(10, 10), _current.AverageOtherSteps);
    }

    [Fact]
    public void Switching_averaging_off_disables_the_window_fields()
    {
        var panel = RenderPanel(InversionParameters.Default);
        Assert.False(panel.Find("#param-average-first-start").HasAttribute("disabled"));

        panel.Find("input[data-testid=param-averaging]").Change(false);

        Assert.False(_current.Averaging);
        Assert.True(panel.Find("#param-average-first-start").HasAttribute("disabled"));
        Assert.True(panel.Find("#param-average-rest-end").HasAttribute("disabled"));
    }

    [Fact]
    public void Problems_the_form_found_with_the_model_are_shown_at_their_fields()
    {
        Render<MudPopoverProvider>();
        var panel = Render<ParameterPanel>(p => p
            .Add(x => x.Parameters, InversionParameters.Default)
            .Add(x => x.Expanded, true)
            .Add(x => x.Problems, new Dictionary<ParameterKey, string>
            {
                [ParameterKey.Strength] = "Strength 0.1 inverts none of the 4 timesteps; raise it or the step count",
            }));

        Assert.Equal("Strength 0.1 inverts none of the 4 timesteps; raise it or the step count", FieldError(panel, "param-strength"));
        Assert.Null(FieldError(panel, "param-steps"));
    }
}
