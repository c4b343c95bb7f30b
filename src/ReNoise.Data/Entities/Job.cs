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
    /// <summary>The model the job runs on (its broker queue in distributed mode); null on rows older than the column.</summary>
    public string? Model { get; set; }
    /// <summary>
    /// Times a worker claimed the job. A worker that dies mid-job leaves it Running; the broker hands the job to
    /// another worker, which claims it again; past the limit the job fails with the reason.
    /// </summary>
    public int Attempts { get; set; }
    /// <summary>When a web node last handed the job to the broker (distributed mode); null: not yet.</summary>
    public DateTime? DispatchedAt { get; set; }
}
