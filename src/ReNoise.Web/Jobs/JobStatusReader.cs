using ReNoise.Data;
using ReNoise.Data.Entities;

namespace ReNoise.Web.Jobs;

/// <summary>
/// A job's state for a page: the live snapshot while this process runs it, otherwise what its
/// database row says (so a reload, or a restart, still shows where it is or how it ended).
/// </summary>
public sealed class JobStatusReader(GalleryStore store, JobProgressHub hub, JobQueue queue)
{
    /// <summary>Null when the job is not the owner's.</summary>
    public async Task<JobProgress?> GetAsync(Guid owner, Guid jobId)
    {
        var row = await store.GetJobAsync(owner, jobId);
        return row is null ? null : Compose(row, hub.Get(jobId), queue.PositionOf(jobId));
    }

    public JobProgress Compose(JobInfo row) => Compose(row, hub.Get(row.Id), queue.PositionOf(row.Id));

    public static JobProgress Compose(JobInfo row, JobProgress? live, int? position)
    {
        bool rowFinished = row.Status is JobStatus.Done or JobStatus.Failed or JobStatus.Cancelled;
        if (live is not null && live.OwnerId == row.OwnerId && (!rowFinished || live.IsFinished))
            return live.Phase == JobPhase.Queued && position is not null && live.QueuePosition is null ? live with { QueuePosition = position } : live;

        var fromRow = new JobProgress
        {
            JobId = row.Id,
            OwnerId = row.OwnerId,
            Kind = row.Kind,
            Phase = row.Status switch
            {
                JobStatus.Queued => JobPhase.Queued,
                JobStatus.Running => row.Kind == JobKind.Edit ? JobPhase.Denoising : JobPhase.Inverting,
                JobStatus.Done => JobPhase.Done,
                JobStatus.Failed => JobPhase.Failed,
                _ => JobPhase.Cancelled,
            },
            QueuePosition = position,
            Error = row.Error,
            CanResubmit = row.Status == JobStatus.Failed && (row.Kind == JobKind.Edit || row.HasUpload),
            InversionId = row.InversionId,
            EditId = row.EditId,
            Elapsed = row.StartedAt is { } started ? (row.FinishedAt ?? DateTime.UtcNow) - started : TimeSpan.Zero,
        };
        return fromRow;
    }
}
