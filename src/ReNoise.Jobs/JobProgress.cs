using ReNoise.Data.Entities;

namespace ReNoise.Jobs;

/// <summary>Where a job is, as the studio shows it.</summary>
public enum JobPhase
{
    Queued,
    Loading,
    Inverting,
    Reconstructing,
    Denoising,
    Saving,
    Done,
    Failed,
    Cancelled,
}

/// <summary>
/// A snapshot of one job's progress, published by the worker after every model call and kept by
/// the web process's progress hub so that a reloaded page picks up where the job is.
/// </summary>
public sealed record JobProgress
{
    public required Guid JobId { get; init; }
    public required Guid OwnerId { get; init; }
    public required JobKind Kind { get; init; }
    public required JobPhase Phase { get; init; }

    /// <summary>1-based place in the queue while queued.</summary>
    public int? QueuePosition { get; init; }

    /// <summary>
    /// While queued: the time until it starts, from the model calls ahead of it and the model's
    /// measured time per call; null before the model has finished a job.
    /// </summary>
    public TimeSpan? EstimatedWait { get; init; }

    /// <summary>Inversion step i of N (edits: denoising step).</summary>
    public int Step { get; init; }
    public int StepCount { get; init; }

    /// <summary>Renoise iteration k of R of the current step.</summary>
    public int Iteration { get; init; }
    public int Iterations { get; init; }

    /// <summary>Model calls so far and the number the job will make in all.</summary>
    public int Nfe { get; init; }
    public int ExpectedNfe { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>PNG of the latent after the last finished step, decoded by the VAE.</summary>
    public byte[]? PreviewPng { get; init; }
    public int PreviewStep { get; init; }

    public string? Error { get; init; }

    /// <summary>A failed job that can be queued again as it was (its upload is still kept, or it is an edit).</summary>
    public bool CanResubmit { get; init; }
    public Guid? InversionId { get; init; }
    public Guid? EditId { get; init; }

    public bool IsFinished => Phase is JobPhase.Done or JobPhase.Failed or JobPhase.Cancelled;

    /// <summary>0..1 by model calls.</summary>
    public double Fraction => Phase == JobPhase.Done ? 1 : ExpectedNfe > 0 ? Math.Clamp((double)Nfe / ExpectedNfe, 0, 1) : 0;

    /// <summary>Time still needed at the pace so far; null until the first model call.</summary>
    public TimeSpan? Remaining => Nfe > 0 && ExpectedNfe > Nfe && !IsFinished
        ? TimeSpan.FromTicks((long)(Elapsed.Ticks / (double)Nfe * (ExpectedNfe - Nfe)))
        : null;
}
