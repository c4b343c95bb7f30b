using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Jobs.Distributed;
using ReNoise.Jobs.Messages;
using ReNoise.Web.Jobs;

namespace ReNoise.Web.Distributed;

/// <summary>
/// The distributed mode's queue, as a web node sees it: a job is admitted in the shared database (the session
/// quota and the queue limit counted in the admitting transaction, so they hold across web nodes), then sent to
/// its model's broker queue for a GPU worker. This node keeps no job state: places in line and running jobs
/// are what <see cref="SharedQueueMonitor"/> last read from the database. A job whose message could not be
/// sent (broker away) stays Queued and is sent by the monitor's sweep once the broker is back.
/// </summary>
public sealed class BrokerJobs(GalleryStore store, IBus bus, JobProgressHub hub,
    IOptions<StudioOptions> options, ILogger<BrokerJobs> logger) : IJobBackend
{
    private readonly int _queueSize = Math.Max(1, options.Value.Jobs.QueueSize);
    private readonly int _perSession = Math.Max(1, options.Value.Jobs.MaxJobsPerSession);
    private volatile QueueView _view = QueueView.Empty;

    public int QueueSize => _queueSize;
    public int MaxJobsPerSession => _perSession;

    /// <summary>The database counts at admission; nothing to refuse early from here.</summary>
    public bool QuotaReached(Guid owner) => false;

    public async Task<SubmitResult> AdmitAsync(Guid owner, JobToAdmit job, int modelCalls, CancellationToken cancellationToken)
    {
        JobAdmission admission;
        try
        {
            admission = await store.AdmitJobAsync(owner, job, new AdmissionLimits(_perSession, _queueSize), cancellationToken);
        }
        catch (Exception e) when (StorageFailure.IsDatabaseFailure(e))
        {
            logger.LogError(e, "Could not store a job");
            return JobRefusals.StorageRefused(StorageFailure.Describe(e) ?? "the database cannot be reached");
        }
        if (admission.JobId is not Guid id) return JobRefusals.From(admission.Refusal, _queueSize, _perSession);
        hub.Publish(new JobProgress { JobId = id, OwnerId = owner, Kind = job.Kind, Phase = JobPhase.Queued });
        await DispatchAsync(new RunJob(id, owner, job.Kind, job.Model, modelCalls), cancellationToken);
        return SubmitResult.Queued(id);
    }

    /// <summary>Sends the job to its model's queue and records it; a failure leaves it to the sweep (the job is stored, so it is not lost).</summary>
    internal async Task DispatchAsync(RunJob message, CancellationToken cancellationToken)
    {
        try
        {
            var endpoint = await bus.GetSendEndpoint(BrokerNames.ModelQueueAddress(message.Model));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await endpoint.Send(message, timeout.Token);
            await store.MarkJobDispatchedAsync(message.JobId, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Job {JobId} is stored but not yet handed to the broker ({Reason}); the queue sweep sends it later", message.JobId, e.Message);
        }
    }

    /// <summary>
    /// Marks the job cancelled in the database (a queued job's message is then skipped by the worker it reaches)
    /// and tells every worker, so the one running it stops before its next model call.
    /// </summary>
    public async Task<bool> CancelAsync(Guid owner, Guid jobId)
    {
        var job = await store.GetJobAsync(owner, jobId);
        if (job is not { IsActive: true }) return false;
        if (!await store.MarkJobCancelledAsync(owner, jobId)) return false;
        var cancelled = new JobProgress { JobId = jobId, OwnerId = owner, Kind = job.Kind, Phase = JobPhase.Cancelled };
        hub.Publish(cancelled);
        try
        {
            // Bounded: while the broker is away a click on Cancel must not hang the page.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await bus.Publish(new CancelJob(jobId, owner), timeout.Token);
            await bus.Publish(new JobProgressed(cancelled), c => c.Durable = false, timeout.Token);
        }
        catch (Exception e)
        {
            // The row says cancelled: a worker that starts it skips it, one running it fails to store its result.
            logger.LogWarning("Cancellation of job {JobId} not broadcast: {Reason}", jobId, e.Message);
        }
        return true;
    }

    public int? PositionOf(Guid jobId) => _view.Positions.TryGetValue(jobId, out int p) ? p : null;

    public bool IsRunning(Guid jobId) => hub.Get(jobId) is { IsFinished: false, Phase: not JobPhase.Queued };

    public int ActiveCountOf(Guid owner) => _view.WaitingByOwner.GetValueOrDefault(owner);

    public int WaitingCount => _view.Waiting;

    /// <summary>Set by the monitor after each read of the shared queue.</summary>
    internal void Update(QueueView view) => _view = view;
}

/// <summary>The shared queue as last read: each waiting job's place in its model's line, and counts.</summary>
internal sealed record QueueView(IReadOnlyDictionary<Guid, int> Positions, IReadOnlyDictionary<Guid, int> WaitingByOwner,
    IReadOnlyDictionary<string, int> WaitingByModel, int Waiting)
{
    public static readonly QueueView Empty = new(new Dictionary<Guid, int>(), new Dictionary<Guid, int>(), new Dictionary<string, int>(), 0);
}
