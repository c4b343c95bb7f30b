using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Jobs.Distributed;
using ReNoise.Jobs.Messages;
using ReNoise.Web.Jobs;

namespace ReNoise.Web.Distributed;

/// <summary>
/// A distributed web node's view of the shared queue, read from the database every
/// <see cref="BrokerOptions.QueuePollMs"/>: each waiting job's place in line (published to this node's pages),
/// the queue depth per model (a metric), jobs to hand to the broker (again), and the end of any job this
/// node's pages follow whose final progress message it missed (a broker restart, a node that was away): the
/// row says how it ended, so a page always sees it. Every web node runs one; what they take from the
/// database is taken conditionally, so two nodes never hand the same job on twice at once (and a duplicate
/// message is harmless: the worker's claim skips it).
/// </summary>
public sealed class SharedQueueMonitor(GalleryStore store, BrokerJobs jobs, JobProgressHub hub, IModelCatalog catalog, TimeProvider time,
    IOptions<BrokerOptions> options, IOptions<StudioOptions> studio, JobTelemetry telemetry, ILogger<SharedQueueMonitor> logger) : BackgroundService
{
    private volatile QueueView _view = QueueView.Empty;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Every model, an empty queue included (0 is a reading, not a missing one).
        telemetry.ObserveQueueDepth(() => catalog.Models.Select(m =>
            new Measurement<int>(_view.WaitingByModel.GetValueOrDefault(m.Name), new KeyValuePair<string, object?>("model", m.Name))));
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.QueuePollMs), time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (StorageFailure.IsDatabaseFailure(e))
            {
                logger.LogWarning("The shared queue could not be read: {Reason}", StorageFailure.Describe(e) ?? e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var queued = await store.ListQueueAsync(cancellationToken);
        var positions = new Dictionary<Guid, int>();
        var byOwner = new Dictionary<Guid, int>();
        var byModel = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var job in queued)
        {
            string model = job.Model ?? "";
            positions[job.Id] = byModel[model] = byModel.GetValueOrDefault(model) + 1;
            byOwner[job.OwnerId] = byOwner.GetValueOrDefault(job.OwnerId) + 1;
            // Only for pages of this node, and never over a job that has moved on.
            if (hub.HasSubscribers(job.Id) && hub.Get(job.Id) is null or { Phase: JobPhase.Queued } && hub.Get(job.Id)?.QueuePosition != positions[job.Id])
                hub.Publish(new JobProgress { JobId = job.Id, OwnerId = job.OwnerId, Kind = job.Kind, Phase = JobPhase.Queued, QueuePosition = positions[job.Id] });
        }
        _view = new QueueView(positions, byOwner, byModel, queued.Count);
        jobs.Update(_view);

        var now = time.GetUtcNow().UtcDateTime;
        foreach (var job in await store.TakeJobsToDispatchAsync(now.AddSeconds(-10), now.AddSeconds(-options.Value.RedispatchAfterSeconds), 100, cancellationToken))
        {
            if (string.IsNullOrEmpty(job.Model)) continue; // rows from before the distributed mode have no model: never sent
            logger.LogInformation("Handing job {JobId} to the broker (again)", job.Id);
            await jobs.DispatchAsync(new RunJob(job.Id, job.OwnerId, job.Kind, job.Model, 0), cancellationToken);
        }

        // Longer than any run may take (the time limit, plus a margin for saving): its worker is gone.
        var orphanedBefore = now - TimeSpan.FromSeconds(studio.Value.Jobs.MaxJobSeconds + 120);
        foreach (var job in await store.TakeOrphanedJobsAsync(orphanedBefore, 100, cancellationToken))
        {
            if (string.IsNullOrEmpty(job.Model)) continue;
            logger.LogWarning("Job {JobId} has been running since before {Since:u}: its worker is gone; handing it to the broker for another", job.Id, orphanedBefore);
            await jobs.DispatchAsync(new RunJob(job.Id, job.OwnerId, job.Kind, job.Model, 0, Orphaned: true), cancellationToken);
        }

        var live = hub.LiveJobIds.Where(id => !positions.ContainsKey(id)).ToList();
        foreach (var row in await store.GetJobStatesAsync(live, cancellationToken))
        {
            if (row.Status is JobStatus.Queued or JobStatus.Running) continue;
            hub.Publish(JobStatusReader.Compose(row, null, null));
        }
    }
}
