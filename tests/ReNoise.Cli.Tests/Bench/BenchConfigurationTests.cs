using ReNoise.Cli.Bench;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Schedulers;

namespace ReNoise.Cli.Tests.Bench;

public sealed class BenchConfigurationTests
{
    private static InversionParameters For(string name, bool stochastic = true) =>
        BenchConfigurations.All(stochastic).Single(c => c.Name == name).ParametersFrom(new InversionParameters());

    [Fact]
    public void The_default_list_is_the_papers_table_2_ablation_in_order()
    {
        Assert.Equal(["plain", "renoise-1", "renoise-4", "renoise-9", "averaging", "edit-losses", "noise-correction"],
            BenchConfigurations.Select(null, stochastic: true).Select(c => c.Name));
        // DDIM has no noise correction: the analogous rows end with the edit losses.
        Assert.Equal(["plain", "renoise-1", "renoise-4", "renoise-9", "averaging", "edit-losses"],
            BenchConfigurations.Select("", stochastic: false).Select(c => c.Name));
    }

    [Fact]
    public void Each_ablation_row_adds_one_component_to_the_row_before()
    {
        var plain = For("plain");
        Assert.Equal((0, false, 0, NoiseCorrectionMode.Off), (plain.RenoiseSteps, plain.Averaging, plain.RegularizationSteps, plain.NoiseCorrection));
        Assert.Equal(plain with { RenoiseSteps = 1 }, For("renoise-1"));
        Assert.Equal(plain with { RenoiseSteps = 4 }, For("renoise-4"));
        Assert.Equal(plain with { RenoiseSteps = 9 }, For("renoise-9"));
        Assert.Equal(For("renoise-9") with { Averaging = true }, For("averaging"));
        var defaults = new InversionParameters();
        Assert.Equal(For("averaging") with { RegularizationSteps = defaults.RegularizationSteps }, For("edit-losses"));
        Assert.Equal(defaults, For("noise-correction"));
    }

    [Fact]
    public void Comparison_rows_vary_only_what_their_name_says()
    {
        var defaults = new InversionParameters();
        Assert.Equal(For("plain") with { InversionSteps = 16 }, For("plain-x4"));
        Assert.Equal(defaults with { RenoiseTolerance = 0.1 }, For("adaptive-0.1"));
        Assert.Equal(For("renoise-4") with { RenoiseAcceleration = RenoiseAcceleration.Anderson }, For("anderson-4"));
        Assert.Equal(defaults with { RenoiseAcceleration = RenoiseAcceleration.Anderson, RenoiseTolerance = 0.02 }, For("anderson-adaptive-0.02"));
        // Rows follow the bench's base options.
        var base8 = new InversionParameters { InversionSteps = 8, Seed = 3 };
        var fromBase = BenchConfigurations.All(true).Single(c => c.Name == "plain-x2").ParametersFrom(base8);
        Assert.Equal((16, 3), (fromBase.InversionSteps, fromBase.Seed));
    }

    [Fact]
    public void Names_and_groups_select_in_table_order_without_duplicates()
    {
        var chosen = BenchConfigurations.Select("adaptive-0.1, plain ,baselines", stochastic: true).Select(c => c.Name);
        Assert.Equal(["plain", "plain-x2", "plain-x4", "plain-x10", "adaptive-0.1"], chosen);
        Assert.Equal(BenchConfigurations.All(true).Count, BenchConfigurations.Select("all,ablation", true).Count);
        Assert.All(BenchConfigurations.Select("anderson", true), c => Assert.Equal(RenoiseAcceleration.Anderson, c.ParametersFrom(new()).RenoiseAcceleration));
    }

    [Fact]
    public void An_unknown_name_is_bad_input_listing_the_known_ones()
    {
        var e = Assert.Throws<ReNoiseInputException>(() => BenchConfigurations.Select("plain,fastest", true));
        Assert.Contains("'fastest'", e.Message);
        Assert.Contains("renoise-9", e.Message);
        var ddim = Assert.Throws<ReNoiseInputException>(() => BenchConfigurations.Select("noise-correction", stochastic: false));
        Assert.Contains("deterministic", ddim.Message);
    }

    [Fact]
    public void Every_configuration_is_valid_and_has_a_unique_name()
    {
        foreach (bool stochastic in new[] { true, false })
        {
            var all = BenchConfigurations.All(stochastic);
            Assert.Equal(all.Count, all.Select(c => c.Name).Distinct().Count());
            foreach (var c in all) c.ParametersFrom(new InversionParameters()).Validate();
        }
    }
}
