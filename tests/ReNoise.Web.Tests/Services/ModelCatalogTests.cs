using ReNoise.Engine;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Web.Services;

namespace ReNoise.Web.Tests.Services;

public sealed class ModelCatalogTests
{
    private static ModelEntry Entry(string name, string path, int? concurrency = null) => new() { Name = name, Path = path, Concurrency = concurrency };

    [Fact]
    public void Without_configured_models_the_bundled_demo_is_offered_and_labelled()
    {
        using var catalog = TestServices.Catalog();
        var demo = Assert.Single(catalog.Models);
        Assert.Same(demo, catalog.Default);
        Assert.True(demo.IsDemo);
        Assert.Equal("demo-sd-turbo (demo)", demo.DisplayName);
        Assert.Equal(384, demo.ImageSize);
        Assert.Equal(SchedulerFactory.EulerAncestral, demo.Scheduler);
        Assert.Equal(NoiseCorrectionMode.Exact, demo.Preset.Options.NoiseCorrection);
        Assert.Equal(1, demo.Concurrency);
    }

    [Fact]
    public void Configured_models_replace_the_demo_with_their_family_preset_and_concurrency()
    {
        string fixtures = Path.Combine(TestPaths.Fixtures, "models");
        var options = TestServices.Options(o =>
        {
            o.Models.Add(Entry("turbo", Path.Combine(fixtures, "tiny-sd-turbo")));
            // Relative paths are taken from the content root (src/ReNoise.Web).
            o.Models.Add(Entry("sd15", "../../tests/fixtures/models/tiny-sd15-ddim", concurrency: 2));
            o.Models.Add(Entry("missing", "/no/such/model"));
            o.DefaultModel = "SD15";
        });
        using var catalog = TestServices.Catalog(options);

        Assert.Equal(["turbo", "sd15"], catalog.Models.Select(m => m.Name));
        Assert.DoesNotContain(catalog.Models, m => m.IsDemo);
        Assert.Equal("sd15", catalog.Default.Name);
        var sd15 = catalog.Find("sd15")!;
        Assert.Equal(ModelFamily.Sd1, sd15.Family);
        Assert.Equal(SchedulerFactory.Ddim, sd15.Scheduler);
        Assert.Equal(2, sd15.Concurrency);
        Assert.Equal(50, sd15.Preset.Options.InversionSteps);
        Assert.Equal(1, sd15.Preset.Options.RenoiseSteps);
        Assert.Equal(128, catalog.Find("turbo")!.ImageSize);
        Assert.Equal(4, catalog.Find("turbo")!.Preset.Options.InversionSteps);
        Assert.Null(catalog.Find("missing"));
    }

    [Fact]
    public void A_model_is_loaded_once_and_shared_and_an_unknown_name_is_bad_input()
    {
        using var catalog = TestServices.Catalog(TestServices.Options(o => o.ExecutionProvider = ExecutionProvider.Cpu));
        var first = catalog.Acquire("demo-sd-turbo");
        Assert.Same(first, catalog.Acquire("DEMO-SD-TURBO"));
        Assert.Equal("CPUExecutionProvider", first.ExecutionProvider);
        var error = Assert.Throws<ReNoiseInputException>(() => catalog.Acquire("sdxl"));
        Assert.Equal("model \"sdxl\" is not configured on this server", error.Message);
    }
}
