using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Web.Services;

namespace ReNoise.Web.Jobs;

/// <summary>
/// The hosted service behind the queue. At start-up, jobs a previous process left running are
/// marked failed (their work is lost) and queued ones are dispatched again (nothing else is lost);
/// then it dispatches until the host stops.
/// </summary>
public sealed class JobWorker(JobQueue queue, JobRunner runner, GalleryStore store, IModelCatalog catalog, ILogger<JobWorker> logger)
    : BackgroundService
{
    public const string InterruptedReason = "the server restarted while this job was running; submit it again";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        queue.Runner = runner.RunAsync;
        await RecoverAsync(stoppingToken);
        await queue.RunDispatcherAsync(stoppingToken);
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        int failed = await store.MarkInterruptedJobsFailedAsync(InterruptedReason, cancellationToken);
        if (failed > 0) logger.LogWarning("{Count} job(s) were running when the server stopped; marked failed", failed);

        var tickets = new List<JobTicket>();
        foreach (var job in await store.ListQueuedJobsAsync(cancellationToken))
        {
            string? model = job.Kind switch
            {
                JobKind.Invert => TryRead<InvertJobRequest>(job.RequestJson)?.Model,
                JobKind.Edit when job.InversionId is Guid id => (await store.GetInversionAsync(job.OwnerId, id, cancellationToken))?.ModelName,
                _ => null,
            };
            if (model is null || catalog.Find(model) is null)
            {
                await store.MarkJobFailedAsync(job.OwnerId, job.Id,
                    model is null ? "the job could not be read back after a restart" : $"model \"{model}\" is no longer configured on this server",
                    cancellationToken);
                continue;
            }
            tickets.Add(new JobTicket(job.Id, job.OwnerId, job.Kind, model));
        }
        if (tickets.Count > 0)
        {
            logger.LogInformation("Re-dispatching {Count} queued job(s)", tickets.Count);
            queue.Restore(tickets);
        }
    }

    private static T? TryRead<T>(string json) where T : class
    {
        try
        {
            return JobJson.Read<T>(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
