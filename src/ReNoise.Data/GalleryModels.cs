using ReNoise.Data.Entities;

namespace ReNoise.Data;

public enum InversionSort
{
    /// <summary>Most recent first.</summary>
    Newest,
    Oldest,
    /// <summary>Highest reconstruction PSNR first; inversions without one last.</summary>
    Psnr,
    /// <summary>Prompt, alphabetical, case-insensitive.</summary>
    Prompt,
}

public enum InversionImage
{
    Input,
    Reconstruction,
    Thumbnail,
}

/// <summary>A gallery row: what a list shows, no image or tensor (the thumbnail has its own URL).</summary>
public sealed record InversionSummary(
    Guid Id,
    string Prompt,
    string ModelName,
    string SchedulerName,
    DateTime CreatedAt,
    double? Psnr,
    double? Ssim,
    int Nfe,
    int Width,
    int Height);

/// <summary>An edit without its image (fetch that with <see cref="GalleryStore.GetEditAsync"/>).</summary>
public sealed record EditSummary(
    Guid Id,
    Guid InversionId,
    DateTime CreatedAt,
    string Prompt,
    double Guidance,
    int Nfe,
    long DurationMs);

public sealed record ShareLinkInfo(
    string Token,
    Guid InversionId,
    Guid? EditId,
    DateTime CreatedAt,
    DateTime? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;
}

/// <summary>
/// What a share link shows to anyone holding the token: images, prompts and parameters, never
/// the owner, the latents or internal ids.
/// </summary>
public sealed record SharedInversionView(
    string Token,
    DateTime CreatedAt,
    string Prompt,
    string ModelName,
    string ModelFamily,
    string SchedulerName,
    string ParametersJson,
    int Width,
    int Height,
    double? Psnr,
    double? Ssim,
    int Nfe,
    SharedEditView? Edit);

/// <summary>The edit a share link shows (its image: <see cref="GalleryStore.GetSharedImageAsync"/>).</summary>
public sealed record SharedEditView(
    DateTime CreatedAt,
    string Prompt,
    double Guidance);

/// <summary>The images a share link serves.</summary>
public enum SharedImage
{
    Input,
    Reconstruction,
    Edit,
}

/// <summary>
/// The heavy parts of a new inversion (<see cref="InversionBlobKind"/>): PNG images and float32
/// tensors (<see cref="FloatBlob"/>); <see cref="NoiseMaps"/> is empty for deterministic samplers.
/// </summary>
public sealed record InversionFiles(
    byte[] InputPng,
    byte[] ReconstructionPng,
    byte[] ThumbnailPng,
    byte[] Latent,
    byte[] CleanLatent,
    byte[] NoiseMaps)
{
    public IEnumerable<(InversionBlobKind Kind, byte[] Data)> Blobs()
    {
        yield return (InversionBlobKind.Input, InputPng);
        yield return (InversionBlobKind.Reconstruction, ReconstructionPng);
        yield return (InversionBlobKind.Thumbnail, ThumbnailPng);
        yield return (InversionBlobKind.Latent, Latent);
        if (CleanLatent.Length > 0) yield return (InversionBlobKind.CleanLatent, CleanLatent);
        if (NoiseMaps.Length > 0) yield return (InversionBlobKind.NoiseMaps, NoiseMaps);
    }
}

/// <summary>A finished inversion to store: its row and its images and tensors.</summary>
public sealed record NewInversion(Inversion Row, InversionFiles Files);

/// <summary>How storing a job's result ended (<see cref="GalleryStore.CompleteInvertJobAsync"/>, <see cref="GalleryStore.CompleteEditJobAsync"/>).</summary>
public enum JobCompletion
{
    /// <summary>The result is stored and the job is Done, in one transaction.</summary>
    Stored,
    /// <summary>The job is no longer running (cancelled meanwhile): nothing was stored.</summary>
    NotRunning,
    /// <summary>An edit's inversion was deleted meanwhile: nothing was stored.</summary>
    InversionGone,
}

/// <summary>
/// A job's state without its input image (<see cref="GalleryStore.GetJobInputImageAsync"/>);
/// <see cref="HasUpload"/> says whether the job still keeps one (to submit a failed job again).
/// </summary>
public sealed record JobInfo(
    Guid Id,
    Guid OwnerId,
    JobKind Kind,
    JobStatus Status,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    string? Error,
    string RequestJson,
    Guid? InversionId,
    Guid? EditId,
    double Progress,
    string? ProgressText,
    bool HasUpload = false,
    string? Model = null,
    int Attempts = 0)
{
    public bool IsActive => Status is JobStatus.Queued or JobStatus.Running;
}

/// <summary>
/// What a queue admits at most (distributed mode: counted in the database, so every web node sees the same
/// numbers): jobs one session may have queued or running, and jobs that may wait in all.
/// </summary>
public sealed record AdmissionLimits(int MaxJobsPerSession, int QueueSize);

/// <summary>A job to store as Queued (<see cref="GalleryStore.AdmitJobAsync"/>): a new inversion, a new edit, or a failed job again.</summary>
public sealed record JobToAdmit(JobKind Kind, string Model)
{
    /// <summary>The request (<c>InvertJobRequest</c> / <c>EditJobRequest</c> as JSON); unused for <see cref="ResubmitOf"/>.</summary>
    public string? RequestJson { get; init; }
    /// <summary>An inversion's upload at working size.</summary>
    public byte[]? Upload { get; init; }
    /// <summary>An edit's inversion.</summary>
    public Guid? InversionId { get; init; }
    /// <summary>A failed job of the owner queued again with its request and upload.</summary>
    public Guid? ResubmitOf { get; init; }
}

public enum AdmissionRefusal
{
    None,
    /// <summary>The session has its most jobs queued or running.</summary>
    SessionQuota,
    /// <summary>The queue holds its most waiting jobs.</summary>
    QueueFull,
    /// <summary>An edit's inversion is not the owner's (or was deleted).</summary>
    InversionGone,
    /// <summary>The job to submit again is not the owner's failed job, or its upload is no longer kept.</summary>
    CannotResubmit,
}

/// <summary>The stored job's id, or why nothing was stored.</summary>
public sealed record JobAdmission(Guid? JobId, AdmissionRefusal Refusal)
{
    public static JobAdmission Admitted(Guid id) => new(id, AdmissionRefusal.None);
    public static JobAdmission Refused(AdmissionRefusal why) => new(null, why);
}

public enum ClaimOutcome
{
    /// <summary>The job is this worker's to run now, as <see cref="JobClaim.Attempt"/>.</summary>
    Claimed,
    /// <summary>Done, failed or cancelled already (a duplicate or a late delivery): nothing to run.</summary>
    Finished,
    /// <summary>Another worker is running it (a duplicate delivery, not a redelivery): nothing to run.</summary>
    RunningElsewhere,
    /// <summary>It was claimed the most times allowed; now marked Failed with the reason.</summary>
    AttemptsExhausted,
    /// <summary>No such job of that owner.</summary>
    Missing,
}

/// <summary>The result of <see cref="GalleryStore.ClaimJobAsync"/>.</summary>
public sealed record JobClaim(ClaimOutcome Outcome, int Attempt, JobStatus? Status);

/// <summary>A queued job as the shared queue lists it (<see cref="GalleryStore.ListQueueAsync"/>).</summary>
public sealed record QueuedJob(Guid Id, Guid OwnerId, JobKind Kind, string? Model, DateTime CreatedAt);
