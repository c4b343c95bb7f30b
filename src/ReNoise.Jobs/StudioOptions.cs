using System.Net;
using Microsoft.Extensions.Options;

namespace ReNoise.Jobs;

/// <summary>
/// The studio's own settings under <c>ReNoise</c> in the repository-root appsettings.json. The model
/// settings there (<c>Models</c>, <c>DefaultModel</c>, <c>ExecutionProvider</c>, <c>CudaDeviceId</c>,
/// <c>IntraOpThreads</c>) are the engine's <see cref="ReNoise.Hosting.ReNoiseSettings"/> (ReNoise.Hosting), and the
/// database settings (<c>ReNoise:Database</c>) are read by ReNoise.Data. Checked at start-up
/// (<see cref="StudioOptionsValidator"/>).
/// </summary>
public sealed class StudioOptions
{
    public const string SectionName = "ReNoise";

    public UploadOptions Uploads { get; set; } = new();
    public JobOptions Jobs { get; set; } = new();
    public SessionOptions Sessions { get; set; } = new();
    public ProxyOptions ForwardedHeaders { get; set; } = new();
}

public sealed class UploadOptions
{
    public const long DefaultMaxBytes = 20L * 1024 * 1024;

    /// <summary>Largest accepted upload in bytes.</summary>
    public long MaxBytes { get; set; } = DefaultMaxBytes;

    /// <summary>
    /// Uploads decoded at once (all sessions). Decoding takes memory in proportion to the image (up to
    /// 160 MB at the engine's 40-megapixel limit) and a core; further uploads wait their turn.
    /// </summary>
    public int DecodeConcurrency { get; set; } = 2;
}

public sealed class JobOptions
{
    /// <summary>Jobs that may wait in the queue (all models, all sessions); a submission beyond it is refused.</summary>
    public int QueueSize { get; set; } = 32;

    /// <summary>Jobs of one model that run at once (one GPU: 1), unless its <c>ReNoise:Models</c> entry sets <c>Concurrency</c>.</summary>
    public int ConcurrencyPerModel { get; set; } = 1;

    /// <summary>Decode the latent after inversion steps for the live preview (skipped while the preview writer is behind).</summary>
    public bool LivePreview { get; set; } = true;

    /// <summary>
    /// Most model (UNet) calls one job may make: an inversion's planned calls plus its reconstruction's,
    /// an edit's denoising steps. A submission over it is refused before it is queued.
    /// </summary>
    public int MaxModelCalls { get; set; } = 400;

    /// <summary>Longest a job may run, in seconds; a job still running then is stopped and fails saying so.</summary>
    public int MaxJobSeconds { get; set; } = 600;

    /// <summary>Jobs one session may have queued or running at once; a submission beyond it is refused.</summary>
    public int MaxJobsPerSession { get; set; } = 3;

    /// <summary>Least time between two progress writes to a running job's row, in milliseconds (live progress is not throttled by it).</summary>
    public int ProgressWriteIntervalMs { get; set; } = 1000;

    /// <summary>Hours a failed job keeps its upload (to be submitted again) before housekeeping drops it.</summary>
    public int KeepFailedUploadsHours { get; set; } = 24;

    /// <summary>
    /// Times a job may be started (distributed mode: a worker that dies mid-job leaves it to another); past it the
    /// job fails saying so.
    /// </summary>
    public int MaxAttempts { get; set; } = 3;
}

public sealed class SessionOptions
{
    /// <summary>An anonymous session with no inversion and no job expires after this many days unseen.</summary>
    public int ExpireEmptyAfterDays { get; set; } = 30;

    /// <summary>Minutes between two housekeeping passes (expired sessions, kept uploads).</summary>
    public int HousekeepingIntervalMinutes { get; set; } = 60;
}

/// <summary>
/// The reverse proxies (e.g. a TLS terminator) whose X-Forwarded-For / X-Forwarded-Proto headers are
/// believed. Loopback is always trusted; any other proxy must be listed.
/// </summary>
public sealed class ProxyOptions
{
    /// <summary>Proxy addresses, e.g. <c>["10.0.0.5"]</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. <c>["10.0.0.0/8"]</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

/// <summary>Fails start-up on a setting that cannot work, naming its key and value.</summary>
public sealed class StudioOptionsValidator : IValidateOptions<StudioOptions>
{
    public ValidateOptionsResult Validate(string? name, StudioOptions options)
    {
        var problems = new List<string>();
        void AtLeast(string key, long value, long min)
        {
            if (value < min) problems.Add($"ReNoise:{key} must be at least {min}, got {value}");
        }
        AtLeast("Uploads:MaxBytes", options.Uploads.MaxBytes, 1);
        AtLeast("Uploads:DecodeConcurrency", options.Uploads.DecodeConcurrency, 1);
        AtLeast("Jobs:QueueSize", options.Jobs.QueueSize, 1);
        AtLeast("Jobs:ConcurrencyPerModel", options.Jobs.ConcurrencyPerModel, 1);
        AtLeast("Jobs:MaxModelCalls", options.Jobs.MaxModelCalls, 1);
        AtLeast("Jobs:MaxJobSeconds", options.Jobs.MaxJobSeconds, 1);
        AtLeast("Jobs:MaxJobsPerSession", options.Jobs.MaxJobsPerSession, 1);
        AtLeast("Jobs:ProgressWriteIntervalMs", options.Jobs.ProgressWriteIntervalMs, 0);
        AtLeast("Jobs:KeepFailedUploadsHours", options.Jobs.KeepFailedUploadsHours, 0);
        AtLeast("Jobs:MaxAttempts", options.Jobs.MaxAttempts, 1);
        AtLeast("Sessions:ExpireEmptyAfterDays", options.Sessions.ExpireEmptyAfterDays, 1);
        AtLeast("Sessions:HousekeepingIntervalMinutes", options.Sessions.HousekeepingIntervalMinutes, 1);
        foreach (string proxy in options.ForwardedHeaders.KnownProxies)
            if (!IPAddress.TryParse(proxy, out _)) problems.Add($"ReNoise:ForwardedHeaders:KnownProxies has '{proxy}', which is not an IP address");
        foreach (string network in options.ForwardedHeaders.KnownNetworks)
            if (!System.Net.IPNetwork.TryParse(network, out _)) problems.Add($"ReNoise:ForwardedHeaders:KnownNetworks has '{network}', which is not a network in CIDR notation (e.g. 10.0.0.0/8)");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
