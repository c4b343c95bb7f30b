using ReNoise.Engine;
using ReNoise.Engine.Models;

namespace ReNoise.Hosting;

/// <summary>A usable entry of the model registry: its folder was validated at start-up.</summary>
public sealed class RegisteredModel
{
    internal RegisteredModel(string name, ModelFolder layout, ModelPreset preset, int? concurrency, bool isFallback)
    {
        Name = name;
        Layout = layout;
        Preset = preset;
        Concurrency = concurrency;
        IsFallback = isFallback;
    }

    public string Name { get; }

    /// <summary>The validated folder (absolute path, family, variant, sizes).</summary>
    public ModelFolder Layout { get; }

    public string Path => Layout.Root;
    public ModelVariant Variant => Layout.Variant;

    /// <summary>The settings a job starts from: the paper's preset for the variant (what "auto" picks), or the fallback's own.</summary>
    public ModelPreset Preset { get; }

    /// <summary>The entry's <c>Concurrency</c> (1 or more), or null for the host's default.</summary>
    public int? Concurrency { get; }

    /// <summary>True for the host's <see cref="FallbackModel"/>, offered because no configured entry is usable.</summary>
    public bool IsFallback { get; }
}

/// <summary>
/// The model a host offers when <c>ReNoise:Models</c> has no usable entry (the web studio's bundled
/// demo), with the preset it needs (null: the paper's preset for its variant). A relative
/// <paramref name="Path"/> resolves like an entry's.
/// </summary>
public sealed record FallbackModel(string Name, string Path, ModelPreset? Preset = null);

/// <summary>
/// The models a long-running host (the web studio) serves, from <c>ReNoise:Models</c>. Entries are
/// validated when the registry is created; a bad one is reported in <see cref="Problems"/> and skipped,
/// never fatal. Each model is loaded on first use and then shared by every job (one set of ONNX
/// sessions per model; <see cref="DiffusionModel"/> is thread-safe). <see cref="Release"/> frees a
/// model's sessions once no job holds it; the next use loads it again.
/// </summary>
public sealed class ModelRegistry : IDisposable
{
    private const string ModelsKey = ReNoiseSettings.SectionName + ":Models";

    private readonly Dictionary<string, Slot> _slots = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<RegisteredModel> _models = [];
    private readonly List<string> _problems = [];
    private int _disposed;

    private ModelRegistry(ModelLoadOptions loadOptions) => LoadOptions = loadOptions;

    /// <summary>
    /// Validates every entry of <paramref name="settings"/> (name present and unique, path present,
    /// concurrency 1 or more, folder in the diffusers/Optimum ONNX layout), resolving relative paths
    /// against <paramref name="baseDirectory"/>. No ONNX session is created. Only settings that affect
    /// every model (an unknown execution provider, a negative number) throw.
    /// </summary>
    public static ModelRegistry Create(ReNoiseSettings settings, string baseDirectory) => Create(settings, [baseDirectory]);

    /// <summary>
    /// As <see cref="Create(ReNoiseSettings, string)"/>, with a relative path taken from the first of
    /// <paramref name="baseDirectories"/> where that folder exists (else from the first, which the
    /// problem then names). When no configured entry is usable, <paramref name="fallback"/> (if given)
    /// is validated the same way and offered instead.
    /// </summary>
    /// <param name="defaultConcurrency">
    /// Jobs of a model the host runs at once when its entry sets no <c>Concurrency</c>. A model is
    /// loaded with cross-job batching for its concurrency (<see cref="ModelLoadOptions.BatchJobs"/>),
    /// so the jobs that run together share their UNet calls.
    /// </param>
    public static ModelRegistry Create(ReNoiseSettings settings, IReadOnlyList<string> baseDirectories, FallbackModel? fallback = null,
        int defaultConcurrency = 1)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(baseDirectories);
        if (baseDirectories.Count == 0) throw new ArgumentException("at least one base directory is needed", nameof(baseDirectories));
        foreach (var directory in baseDirectories) ArgumentException.ThrowIfNullOrWhiteSpace(directory, nameof(baseDirectories));
        if (fallback is not null) ArgumentException.ThrowIfNullOrWhiteSpace(fallback.Name, nameof(fallback));

        ArgumentOutOfRangeException.ThrowIfLessThan(defaultConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(defaultConcurrency, ModelLoadOptions.MaxBatchJobs);
        var registry = new ModelRegistry(settings.ToLoadOptions()) { DefaultConcurrency = defaultConcurrency };
        var roots = baseDirectories.Select(d => System.IO.Path.GetFullPath(d)).ToArray();

        for (var i = 0; i < settings.Models.Count; i++)
        {
            var entry = settings.Models[i];
            var name = entry.Name?.Trim();
            var key = string.IsNullOrEmpty(name) ? $"{ModelsKey}:{i}" : $"{ModelsKey}:{i} (\"{name}\")";
            if (string.IsNullOrEmpty(name))
            {
                registry._problems.Add($"{key}: Name is missing; entry skipped");
                continue;
            }
            if (registry._slots.ContainsKey(name))
            {
                registry._problems.Add($"{key}: the name is already used by an earlier entry; entry skipped");
                continue;
            }
            if (string.IsNullOrWhiteSpace(entry.Path))
            {
                registry._problems.Add($"{key}: Path is missing; entry skipped");
                continue;
            }
            if (entry.Concurrency is < 1 or > ModelLoadOptions.MaxBatchJobs)
            {
                registry._problems.Add($"{key}: Concurrency must be from 1 to {ModelLoadOptions.MaxBatchJobs}, got {entry.Concurrency}; entry skipped");
                continue;
            }
            if (registry.TryOpen(key, "entry skipped", entry.Path, roots) is { } layout)
                registry.Add(new RegisteredModel(name, layout, ModelPreset.For(layout.Variant), entry.Concurrency, isFallback: false));
        }

        if (registry._models.Count == 0 && fallback is not null)
        {
            var name = fallback.Name.Trim();
            if (registry.TryOpen($"fallback model \"{name}\"", "not offered", fallback.Path, roots) is { } layout)
                registry.Add(new RegisteredModel(name, layout, fallback.Preset ?? ModelPreset.For(layout.Variant), concurrency: null, isFallback: true));
        }

        var wanted = settings.DefaultModel?.Trim();
        var first = registry._models.FirstOrDefault()?.Name;
        if (string.IsNullOrEmpty(wanted))
        {
            registry.DefaultModelName = first;
        }
        else if (registry._slots.TryGetValue(wanted, out var slot))
        {
            registry.DefaultModelName = slot.Model.Name;
        }
        else
        {
            registry.DefaultModelName = first;
            registry._problems.Add(first is null
                ? $"{ReNoiseSettings.SectionName}:DefaultModel \"{wanted}\" is not a usable model, and no model is usable"
                : $"{ReNoiseSettings.SectionName}:DefaultModel \"{wanted}\" is not a usable model; using \"{first}\"");
        }
        return registry;
    }

    /// <summary>The usable models, in configuration order (the fallback alone when no entry is usable).</summary>
    public IReadOnlyList<RegisteredModel> Models => _models;

    /// <summary>Why entries were skipped (one line each, naming the configuration key); empty when all are usable.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>The model used when a request names none: <c>ReNoise:DefaultModel</c>, else the first usable entry (or the fallback); null when none is usable.</summary>
    public string? DefaultModelName { get; private set; }

    /// <summary>The session options every model is loaded with (each with its own <see cref="ModelLoadOptions.BatchJobs"/>).</summary>
    public ModelLoadOptions LoadOptions { get; }

    /// <summary>Jobs of a model run at once when its entry sets no <c>Concurrency</c>.</summary>
    public int DefaultConcurrency { get; private init; } = 1;

    /// <summary>How many jobs of <paramref name="model"/> the host runs at once (and batches together).</summary>
    public int ConcurrencyOf(RegisteredModel model) => model.Concurrency ?? DefaultConcurrency;

    /// <summary>The entry called <paramref name="name"/> (case-insensitive), or null.</summary>
    public RegisteredModel? Find(string name) => _slots.TryGetValue(name, out var slot) ? slot.Model : null;

    /// <summary>True when the model's <see cref="DiffusionModel"/> is loaded now.</summary>
    public bool IsLoaded(string name)
    {
        var slot = SlotFor(name);
        lock (slot) return slot.Loaded is not null;
    }

    /// <summary>
    /// The model called <paramref name="name"/> (or the default when null), loaded on first use and
    /// shared by every holder. Dispose the lease when the job is done; the model stays loaded.
    /// Throws <see cref="ReNoiseInputException"/> for an unknown name or when loading fails
    /// (for example, CUDA forced and unavailable).
    /// </summary>
    public ModelLease Acquire(string? name = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var resolved = name ?? DefaultModelName
            ?? throw new ReNoiseInputException("no model is configured (ReNoise:Models has no usable entry)");
        var slot = SlotFor(resolved);
        lock (slot)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            // Loading only validates the folder and picks the provider; sessions are created lazily
            // by the model itself, once, and shared from then on.
            slot.Loaded ??= DiffusionModel.Load(slot.Model.Path, LoadOptions with { BatchJobs = ConcurrencyOf(slot.Model) });
            slot.Leases++;
            return new ModelLease(this, slot, slot.Loaded);
        }
    }

    /// <summary>
    /// Frees the sessions of <paramref name="name"/>: at once when no lease holds the model, else when
    /// the last lease is returned. Returns false when the model was not loaded.
    /// </summary>
    public bool Release(string name)
    {
        var slot = SlotFor(name);
        lock (slot)
        {
            if (slot.Loaded is null) return false;
            if (slot.Leases == 0) Unload(slot);
            else slot.ReleasePending = true;
            return true;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var slot in _slots.Values)
        {
            lock (slot)
            {
                slot.Loaded?.Dispose();
                slot.Loaded = null;
            }
        }
    }

    internal void Return(Slot slot)
    {
        lock (slot)
        {
            slot.Leases--;
            if (slot.Leases == 0 && slot.ReleasePending) Unload(slot);
        }
    }

    private static void Unload(Slot slot)
    {
        slot.Loaded?.Dispose();
        slot.Loaded = null;
        slot.ReleasePending = false;
    }

    /// <summary>The folder at <paramref name="path"/>, or null after recording why it is unusable.</summary>
    private ModelFolder? TryOpen(string key, string consequence, string path, string[] roots)
    {
        try
        {
            return ModelFolder.Open(Resolve(path.Trim(), roots));
        }
        catch (ReNoiseInputException e)
        {
            _problems.Add($"{key}: {e.Message}; {consequence}");
            return null;
        }
    }

    private static string Resolve(string path, string[] roots)
    {
        if (System.IO.Path.IsPathRooted(path)) return System.IO.Path.GetFullPath(path);
        foreach (var root in roots)
        {
            var candidate = System.IO.Path.GetFullPath(path, root);
            if (Directory.Exists(candidate)) return candidate;
        }
        return System.IO.Path.GetFullPath(path, roots[0]);
    }

    private void Add(RegisteredModel model)
    {
        _models.Add(model);
        _slots.Add(model.Name, new Slot(model));
    }

    private Slot SlotFor(string name) =>
        _slots.TryGetValue(name, out var slot)
            ? slot
            : throw new ReNoiseInputException(_models.Count == 0
                ? $"unknown model \"{name}\" (no model is configured)"
                : $"unknown model \"{name}\" (configured: {string.Join(", ", _models.Select(m => m.Name))})");

    /// <summary>One registered model's load state; locked while it changes.</summary>
    internal sealed class Slot(RegisteredModel model)
    {
        public RegisteredModel Model { get; } = model;
        public DiffusionModel? Loaded { get; set; }
        public int Leases { get; set; }
        public bool ReleasePending { get; set; }
    }
}

/// <summary>A job's hold on a registered model; dispose it when the job ends (the model stays loaded for the next job).</summary>
public sealed class ModelLease : IDisposable
{
    private readonly ModelRegistry _registry;
    private readonly ModelRegistry.Slot _slot;
    private int _returned;

    internal ModelLease(ModelRegistry registry, ModelRegistry.Slot slot, DiffusionModel model)
    {
        _registry = registry;
        _slot = slot;
        Model = model;
    }

    public string Name => _slot.Model.Name;
    public DiffusionModel Model { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _returned, 1) == 0) _registry.Return(_slot);
    }
}
