using ReNoise.Engine.Models;

namespace ReNoise.Web.Services;

/// <summary>
/// The user-facing settings under <c>ReNoise</c> in the repository-root appsettings.json
/// (the database settings, <c>ReNoise:Database</c>, are read by ReNoise.Data).
/// </summary>
public sealed class StudioOptions
{
    public const string SectionName = "ReNoise";

    /// <summary>Model folders offered in the studio; empty means the bundled demo model.</summary>
    public List<ModelEntry> Models { get; set; } = [];

    /// <summary>Name of the model preselected in the studio; empty means the first one.</summary>
    public string? DefaultModel { get; set; }

    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Auto;

    /// <summary>The GPU the CUDA provider uses.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>Threads ONNX Runtime may use inside one operator; 0 lets it choose.</summary>
    public int IntraOpThreads { get; set; }

    public UploadOptions Uploads { get; set; } = new();
    public JobOptions Jobs { get; set; } = new();
}

/// <summary>One configured model: a diffusers/Optimum ONNX folder.</summary>
public sealed class ModelEntry
{
    public string Name { get; set; } = "";

    /// <summary>Absolute, or relative to the content root (then to the app's folder).</summary>
    public string Path { get; set; } = "";

    /// <summary>Jobs of this model that may run at once; null takes <see cref="JobOptions.ConcurrencyPerModel"/>.</summary>
    public int? Concurrency { get; set; }
}

public sealed class UploadOptions
{
    public const long DefaultMaxBytes = 20L * 1024 * 1024;

    /// <summary>Largest accepted upload in bytes.</summary>
    public long MaxBytes { get; set; } = DefaultMaxBytes;
}

public sealed class JobOptions
{
    /// <summary>Jobs that may wait in the queue (all models, all sessions); a submission beyond it is refused.</summary>
    public int QueueSize { get; set; } = 32;

    /// <summary>Jobs of one model that run at once (one GPU: 1).</summary>
    public int ConcurrencyPerModel { get; set; } = 1;

    /// <summary>Decode the latent after every inversion step for the live preview (one VAE decode per step).</summary>
    public bool LivePreview { get; set; } = true;
}
