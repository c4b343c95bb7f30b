using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;

namespace ReNoise.Web.Services;

/// <summary>A model the studio offers, with the engine's preset for it (what the form starts from).</summary>
public sealed record StudioModel(
    string Name,
    string Path,
    ModelFamily Family,
    string Scheduler,
    int ImageSize,
    bool IsDemo,
    int Concurrency,
    ModelPreset Preset)
{
    /// <summary>What the picker shows: the bundled model is labelled as a demo.</summary>
    public string DisplayName => IsDemo ? $"{Name} (demo)" : Name;

    /// <summary>The scheduler a new inversion uses: the preset's, else the model's own.</summary>
    public string PresetScheduler => Preset.Scheduler ?? Scheduler;
}

/// <summary>
/// The models the studio offers and their loaded instances. A model is loaded once, on first use,
/// and shared by every job (its ONNX sessions are thread-safe); the catalog disposes them.
/// </summary>
public interface IModelCatalog
{
    IReadOnlyList<StudioModel> Models { get; }
    StudioModel Default { get; }

    /// <summary>The model named <paramref name="name"/>, or null when none is configured under that name.</summary>
    StudioModel? Find(string? name);

    /// <summary>The loaded model; throws <see cref="ReNoiseInputException"/> for an unknown name.</summary>
    DiffusionModel Acquire(string name);
}

/// <summary>
/// Reads <c>ReNoise:Models</c> (<c>[{ "Name", "Path", "Concurrency" }]</c>) and <c>ReNoise:DefaultModel</c>;
/// with no usable entry it offers the bundled demo model (<c>models/demo-sd-turbo</c> beside the app).
/// </summary>
public sealed class ConfiguredModelCatalog : IModelCatalog, IDisposable
{
    public const string DemoFolderName = "demo-sd-turbo";

    private readonly ModelLoadOptions _loadOptions;
    private readonly ConcurrentDictionary<string, Lazy<DiffusionModel>> _loaded = new(StringComparer.OrdinalIgnoreCase);

    public ConfiguredModelCatalog(IOptions<StudioOptions> options, IHostEnvironment environment, ILogger<ConfiguredModelCatalog> logger)
    {
        var settings = options.Value;
        _loadOptions = new ModelLoadOptions
        {
            ExecutionProvider = settings.ExecutionProvider, CudaDeviceId = settings.CudaDeviceId, IntraOpThreads = settings.IntraOpThreads,
        };
        int concurrency = Math.Max(1, settings.Jobs.ConcurrencyPerModel);

        var models = new List<StudioModel>();
        foreach (var entry in settings.Models)
        {
            if (string.IsNullOrWhiteSpace(entry.Name) || string.IsNullOrWhiteSpace(entry.Path))
            {
                logger.LogError("ReNoise:Models has an entry without Name or Path; it is skipped");
                continue;
            }
            if (models.Any(m => string.Equals(m.Name, entry.Name, StringComparison.OrdinalIgnoreCase)))
            {
                logger.LogError("ReNoise:Models names {Name} twice; the second entry is skipped", entry.Name);
                continue;
            }
            string path = Resolve(entry.Path, environment.ContentRootPath);
            try
            {
                models.Add(Describe(entry.Name, path, isDemo: false, Math.Max(1, entry.Concurrency ?? concurrency)));
            }
            catch (ReNoiseInputException e)
            {
                logger.LogError("Model {Name} is skipped: {Reason}", entry.Name, e.Message);
            }
        }

        if (models.Count == 0)
        {
            string demo = FindDemoFolder(environment.ContentRootPath)
                ?? throw new InvalidOperationException(
                    $"no model is configured under ReNoise:Models and the bundled demo model ({DemoFolderName}) is missing beside the app");
            models.Add(Describe(DemoFolderName, demo, isDemo: true, concurrency));
        }

        Models = models;
        Default = Find(settings.DefaultModel) ?? models[0];
    }

    public IReadOnlyList<StudioModel> Models { get; }
    public StudioModel Default { get; }

    public StudioModel? Find(string? name) =>
        string.IsNullOrWhiteSpace(name) ? null : Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    public DiffusionModel Acquire(string name)
    {
        var model = Find(name) ?? throw new ReNoiseInputException($"model \"{name}\" is not configured on this server");
        // Lazy with ExecutionAndPublication: two jobs asking at once load the model once.
        return _loaded.GetOrAdd(model.Name, _ => new Lazy<DiffusionModel>(() => DiffusionModel.Load(model.Path, _loadOptions))).Value;
    }

    public void Dispose()
    {
        foreach (var lazy in _loaded.Values)
            if (lazy.IsValueCreated) lazy.Value.Dispose();
    }

    private static StudioModel Describe(string name, string path, bool isDemo, int concurrency)
    {
        var folder = ModelFolder.Open(path);
        string scheduler = SchedulerFactory.DefaultNameFor(SchedulerConfig.Load(folder.SchedulerConfigPath), out _);
        var preset = isDemo ? DemoPreset : ModelPresets.For(folder.Variant);
        return new StudioModel(name, folder.Root, folder.Family, scheduler, preset.ImageSizeFor(folder), isDemo, concurrency, preset);
    }

    /// <summary>
    /// The bundled demo network (a closed-form Gaussian-prior UNet) reconstructs to its VAE's limit
    /// only with exact noise correction; the reference's procedure leaves its reconstructions noisy.
    /// Otherwise the SD-Turbo preset, at the demo's native 384 px.
    /// </summary>
    public static ModelPreset DemoPreset { get; } = ModelPresets.SdTurbo with
    {
        Name = "demo",
        Description = "Demo: the SD-Turbo settings (Euler ancestral, 4 steps, R = 9) with exact noise correction, which the demo's closed-form UNet needs to reconstruct",
        Options = ModelPresets.SdTurbo.Options with { NoiseCorrection = NoiseCorrectionMode.Exact },
    };

    private static string Resolve(string path, string contentRoot)
    {
        if (Path.IsPathRooted(path)) return Path.GetFullPath(path);
        string fromContentRoot = Path.GetFullPath(path, contentRoot);
        if (Directory.Exists(fromContentRoot)) return fromContentRoot;
        string fromApp = Path.GetFullPath(path, AppContext.BaseDirectory);
        return Directory.Exists(fromApp) ? fromApp : fromContentRoot;
    }

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
