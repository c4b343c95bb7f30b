using Microsoft.Extensions.Logging;
using ReNoise.Engine;
using ReNoise.Hosting;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Web.Services;
using ReNoise.TestSupport;

namespace ReNoise.Web.Tests.Services;

public sealed class ModelCatalogTests
{
    private static ModelEntrySettings Entry(string? name, string path, int? concurrency = null) => new() { Name = name, Path = path, Concurrency = concurrency };

    private static string[] Errors(ListLogger<ConfiguredModelCatalog> logger) =>
        [.. logger.Entries.Where(e => e.Level == LogLevel.Error).Select(e => e.Message)];

    [Fact]
    public void Without_configured_models_the_bundled_demo_is_offered_and_labelled()
    {
        var logger = new ListLogger<ConfiguredModelCatalog>();
        using var catalog = TestServices.Catalog(logger: logger);
        var demo = Assert.Single(catalog.Models);
        Assert.Same(demo, catalog.Default);
        Assert.True(demo.IsDemo);
        Assert.Equal("demo-sd-turbo (demo)", demo.DisplayName);
        Assert.Equal(384, demo.ImageSize);
        Assert.Equal(SchedulerNames.EulerAncestral, demo.Scheduler);
        Assert.Same(ConfiguredModelCatalog.DemoPreset, demo.Preset);
        Assert.Equal(NoiseCorrectionMode.Exact, demo.Preset.Parameters.NoiseCorrection);
        Assert.Equal(1, demo.Concurrency);
        Assert.Empty(Errors(logger));
    }

    [Fact]
    public void Configured_models_replace_the_demo_with_their_family_preset_and_concurrency()
    {
        string fixtures = Path.Combine(TestPaths.Fixtures, "models");
        var logger = new ListLogger<ConfiguredModelCatalog>();
        var settings = new ReNoiseSettings
        {
            Models =
            [
                Entry("turbo", Path.Combine(fixtures, "tiny-sd-turbo")),
                // Relative paths are taken from the content root (src/ReNoise.Web).
                Entry("sd15", "../../tests/fixtures/models/tiny-sd15-ddim", concurrency: 2),
                Entry("missing", "/no/such/model"),
            ],
            DefaultModel = "SD15",
        };
        using var catalog = TestServices.Catalog(settings, TestServices.Options(o => o.Jobs.ConcurrencyPerModel = 3), logger);

        Assert.Equal(["turbo", "sd15"], catalog.Models.Select(m => m.Name));
        Assert.DoesNotContain(catalog.Models, m => m.IsDemo);
        Assert.Equal("sd15", catalog.Default.Name);
        var sd15 = catalog.Find("sd15")!;
        Assert.Equal(ModelFamily.Sd1, sd15.Family);
        Assert.Equal(SchedulerNames.Ddim, sd15.Scheduler);
        Assert.Equal(Path.Combine(fixtures, "tiny-sd15-ddim"), sd15.Path);
        Assert.Equal(2, sd15.Concurrency);
        Assert.Equal(50, sd15.Preset.Parameters.InversionSteps);
        Assert.Equal(1, sd15.Preset.Parameters.RenoiseSteps);
        var turbo = catalog.Find("turbo")!;
        Assert.Equal(128, turbo.ImageSize);
        Assert.Equal(4, turbo.Preset.Parameters.InversionSteps);
        Assert.Equal(3, turbo.Concurrency);   // no Concurrency of its own: ReNoise:Jobs:ConcurrencyPerModel
        Assert.Null(catalog.Find("missing"));
        Assert.Equal(["Model settings: ReNoise:Models:2 (\"missing\"): model folder not found: /no/such/model; entry skipped"], Errors(logger));
    }

    [Fact]
    public void Every_registry_problem_is_logged_and_with_no_usable_entry_the_demo_is_offered()
    {
        var logger = new ListLogger<ConfiguredModelCatalog>();
        var settings = new ReNoiseSettings
        {
            // A relative path missing under the content root is found in the app's folder (the demo copy beside it).
            Models = [Entry(null, "models/demo-sd-turbo"), Entry("copy", "models/demo-sd-turbo", concurrency: 0), Entry("gone", "no-such-model")],
            DefaultModel = "gone",
        };
        using var catalog = TestServices.Catalog(settings, logger: logger);

        var demo = Assert.Single(catalog.Models);
        Assert.True(demo.IsDemo);
        Assert.Same(demo, catalog.Default);
        Assert.Equal(
        [
            "Model settings: ReNoise:Models:0: Name is missing; entry skipped",
            "Model settings: ReNoise:Models:1 (\"copy\"): Concurrency must be from 1 to 64, got 0; entry skipped",
            $"Model settings: ReNoise:Models:2 (\"gone\"): model folder not found: {Path.Combine(TestPaths.WebProject, "no-such-model")}; entry skipped",
            "Model settings: ReNoise:DefaultModel \"gone\" is not a usable model; using \"demo-sd-turbo\"",
        ], Errors(logger));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("bundled demo model"));
    }

    [Fact]
    public void A_relative_path_missing_under_the_content_root_is_taken_from_the_app_folder()
    {
        var settings = new ReNoiseSettings { Models = [Entry("copy", "models/demo-sd-turbo", concurrency: 2)] };
        using var catalog = TestServices.Catalog(settings);

        var copy = Assert.Single(catalog.Models);
        Assert.False(copy.IsDemo);
        Assert.Equal("copy", copy.DisplayName);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "models", "demo-sd-turbo"), copy.Path);
        // An entry gets its variant's preset; only the fallback demo has the demo's.
        Assert.Same(ModelPreset.SdTurbo, copy.Preset);
        Assert.Equal(2, copy.Concurrency);
    }

    [Fact]
    public void A_bad_execution_setting_stops_the_start_up_naming_its_key()
    {
        var error = Assert.Throws<ReNoiseInputException>(() => TestServices.Catalog(new ReNoiseSettings { ExecutionProvider = "gpu" }));
        Assert.Equal("ReNoise:ExecutionProvider must be auto, cuda or cpu, got 'gpu'", error.Message);
    }

    [Fact]
    public void A_model_is_loaded_once_and_shared_by_the_leases_and_an_unknown_name_is_bad_input()
    {
        using var catalog = TestServices.Catalog(new ReNoiseSettings { ExecutionProvider = "Cpu" });
        using var first = catalog.Acquire("demo-sd-turbo");
        using var second = catalog.Acquire("DEMO-SD-TURBO");
        Assert.Same(first.Model, second.Model);
        Assert.Equal("demo-sd-turbo", second.Name);
        Assert.Equal("CPUExecutionProvider", first.Model.ExecutionProvider);
        var error = Assert.Throws<ReNoiseInputException>(() => catalog.Acquire("sdxl"));
        Assert.Equal("model \"sdxl\" is not configured on this server", error.Message);
    }

    [Fact]
    public void Disposing_the_catalog_frees_the_loaded_models()
    {
        var catalog = TestServices.Catalog(new ReNoiseSettings { ExecutionProvider = "cpu" });
        DiffusionModel model;
        using (var lease = catalog.Acquire("demo-sd-turbo")) model = lease.Model;
        catalog.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.CountPromptTokens("a cup of coffee"));
    }
}
