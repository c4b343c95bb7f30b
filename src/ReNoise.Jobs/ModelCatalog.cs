using Microsoft.Extensions.Options;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Hosting;

namespace ReNoise.Jobs;

/// <summary>A model the studio offers, with the engine's preset for it (what the form starts from).</summary>
public sealed record StudioModel(
    string Name,
    string Path,
    ModelFamily Family,
    string Scheduler,
    int ImageSize,
    bool IsDemo,
    int Concurrency,
    ModelPreset Preset,
    InversionParameters Defaults)
{
    /// <summary>What the picker shows: the bundled model is labelled as a demo.</summary>
    public string DisplayName => IsDemo ? $"{Name} (demo)" : Name;

    /// <summary>The scheduler a new inversion uses: the preset's, else the model's own.</summary>
    public string PresetScheduler => Preset.Scheduler ?? Scheduler;
}

/// <summary>
/// The models the studio offers and their loaded instances: a view of the engine's
/// <see cref="ModelRegistry"/>. A model is loaded once, on first use, and shared by every job
/// (its ONNX sessions are thread-safe); the catalog disposes them.
/// </summary>
public interface IModelCatalog
{
    IReadOnlyList<StudioModel> Models { get; }
    StudioModel Default { get; }

    /// <summary>The model named <paramref name="name"/>, or null when none is configured under that name.</summary>
    StudioModel? Find(string? name);

    /// <summary>
    /// A hold on the loaded model for one job (dispose it when the job ends; the model stays loaded).
    /// Throws <see cref="ReNoiseInputException"/> for an unknown name or when the model cannot load.
    /// </summary>
    ModelLease Acquire(string name);

    /// <summary>
    /// The engine's plan of <paramref name="request"/> on the model (schedule, size, model calls,
    /// warnings); every problem with the parameters is a <see cref="ReNoiseInputException"/>. Loads
    /// no ONNX session.
    /// </summary>
    InversionPlan Plan(string name, InversionRequest request);
}

/// <summary>
/// The engine's <see cref="ModelRegistry"/> over <c>ReNoise:Models</c>, <c>ReNoise:DefaultModel</c> and the
/// execution settings (<see cref="ReNoiseSettings"/>), seen as the studio's models. Relative paths are taken
/// from the content root, then the app's folder. Every entry the registry cannot use is logged with its
/// reason and skipped; with no usable entry the bundled demo model (<c>models/demo-sd-turbo</c> beside the
/// app) is offered, with <see cref="DemoPreset"/>.
/// </summary>
public sealed class ConfiguredModelCatalog : IModelCatalog, IDisposable
{
    public const string DemoFolderName = "demo-sd-turbo";

    private readonly ModelRegistry _registry;

    public ConfiguredModelCatalog(IOptions<ReNoiseSettings> settings, IOptions<StudioOptions> options, IHostEnvironment environment,
        ILogger<ConfiguredModelCatalog> logger)
        : this(settings.Value, options, environment, logger)
    {
    }

    public ConfiguredModelCatalog(ReNoiseSettings settings, IOptions<StudioOptions> options, IHostEnvironment environment,
        ILogger<ConfiguredModelCatalog> logger)
    {
        string? demo = FindDemoFolder(environment.ContentRootPath);
        int concurrency = Math.Max(1, options.Value.Jobs.ConcurrencyPerModel);
        // The jobs of a model that run together share their UNet calls: ConcurrencyPerModel is the batch size.
        _registry = ModelRegistry.Create(settings, [environment.ContentRootPath, AppContext.BaseDirectory],
            demo is null ? null : new FallbackModel(DemoFolderName, demo, DemoPreset), concurrency);
        foreach (string problem in _registry.Problems)
            logger.LogError("Model settings: {Problem}", problem);

        if (_registry.DefaultModelName is not { } defaultName)
        {
            _registry.Dispose();
            throw new InvalidOperationException(demo is null
                ? $"no model is usable: ReNoise:Models has no usable entry and the bundled demo model ({DemoFolderName}) is missing beside the app"
                : $"no model is usable: ReNoise:Models has no usable entry and the bundled demo model ({demo}) does not open (see the errors above)");
        }
        if (_registry.Models[0].IsFallback)
            logger.LogInformation("No configured model is usable; offering the bundled demo model ({Path})", _registry.Models[0].Path);

        Models = _registry.Models.Select(m => Describe(m, _registry.ConcurrencyOf(m))).ToList();
        Default = Find(defaultName)!;
    }

    public IReadOnlyList<StudioModel> Models { get; }
    public StudioModel Default { get; }

    public StudioModel? Find(string? name) =>
        string.IsNullOrWhiteSpace(name) ? null : Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    public ModelLease Acquire(string name)
    {
        // The studio's wording for a model that is gone (its jobs show the message), not the registry's list.
        var model = Find(name) ?? throw new ReNoiseInputException($"model \"{name}\" is not configured on this server");
        return _registry.Acquire(model.Name);
    }

    public InversionPlan Plan(string name, InversionRequest request)
    {
        using var lease = Acquire(name);
        return new InversionPipeline(lease.Model).Plan(request);
    }

    public void Dispose() => _registry.Dispose();

    private static StudioModel Describe(RegisteredModel model, int concurrency)
    {
        var folder = model.Layout;
        return new StudioModel(model.Name, model.Path, folder.Family, folder.DefaultScheduler, model.Preset.ImageSizeFor(folder), model.IsFallback,
            concurrency, model.Preset, model.Preset.ParametersFor(folder));
    }

    /// <summary>
    /// The bundled demo network (a closed-form Gaussian-prior UNet) reconstructs to its VAE's limit
    /// only with exact noise correction; the reference's procedure leaves its reconstructions noisy.
    /// Otherwise the SD-Turbo preset, at the demo's native 384 px.
    /// </summary>
    public static ModelPreset DemoPreset { get; } = ModelPreset.SdTurbo with
    {
        Name = "demo",
        Description = "Demo: the SD-Turbo settings (Euler ancestral, 4 steps, R = 9) with exact noise correction, which the demo's closed-form UNet needs to reconstruct",
        Parameters = ModelPreset.SdTurbo.Parameters with { NoiseCorrection = NoiseCorrectionMode.Exact },
    };

    /// <summary>The copy beside the app (the build copies it), else the repository's own folder.</summary>
    private static string? FindDemoFolder(string contentRoot)
    {
        string besideApp = Path.Combine(AppContext.BaseDirectory, "models", DemoFolderName);
        if (Directory.Exists(besideApp)) return besideApp;
        for (var dir = new DirectoryInfo(contentRoot); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "models", DemoFolderName);
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}
