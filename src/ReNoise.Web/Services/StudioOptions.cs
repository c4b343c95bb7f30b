namespace ReNoise.Web.Services;

/// <summary>
/// The studio's own settings under <c>ReNoise</c> in the repository-root appsettings.json. The model
/// settings there (<c>Models</c>, <c>DefaultModel</c>, <c>ExecutionProvider</c>, <c>CudaDeviceId</c>,
/// <c>IntraOpThreads</c>) are the engine's <see cref="ReNoise.Hosting.ReNoiseSettings"/> (ReNoise.Hosting), and the
/// database settings (<c>ReNoise:Database</c>) are read by ReNoise.Data.
/// </summary>
public sealed class StudioOptions
{
    public const string SectionName = "ReNoise";

    public UploadOptions Uploads { get; set; } = new();
    public JobOptions Jobs { get; set; } = new();
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

    /// <summary>Jobs of one model that run at once (one GPU: 1), unless its <c>ReNoise:Models</c> entry sets <c>Concurrency</c>.</summary>
    public int ConcurrencyPerModel { get; set; } = 1;

    /// <summary>Decode the latent after every inversion step for the live preview (one VAE decode per step).</summary>
    public bool LivePreview { get; set; } = true;
}
