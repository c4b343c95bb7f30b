namespace ReNoise.Data.Entities;

public enum JobKind
{
    Invert,
    Edit,
}

public enum JobStatus
{
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

/// <summary>
/// A unit of GPU work. Persisted so that a restart loses nothing: queued jobs stay queued,
/// jobs that were running are failed with a reason (<see cref="GalleryStore.MarkInterruptedJobsFailedAsync"/>).
/// </summary>
public sealed class Job
{
    public Guid Id { get; set; }
    public Guid OwnerId { get; set; }
    public JobKind Kind { get; set; }
    public JobStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public string? Error { get; set; }
    /// <summary>The request's parameters as JSON.</summary>
    public string RequestJson { get; set; } = "{}";
    /// <summary>
    /// The upload of an invert job, at working size (PNG): kept while the job waits or runs, and after
    /// a failure (to submit it again) until housekeeping drops it; cleared when the job is done or cancelled.
    /// </summary>
    public byte[]? InputImage { get; set; }
    /// <summary>Input of an edit job, result of an invert job.</summary>
    public Guid? InversionId { get; set; }
    /// <summary>Result of an edit job.</summary>
    public Guid? EditId { get; set; }
    /// <summary>Fraction done, 0..1, reported by the worker while running.</summary>
    public double Progress { get; set; }
    public string? ProgressText { get; set; }
}
