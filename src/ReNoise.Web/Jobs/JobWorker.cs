using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;

namespace ReNoise.Web.Jobs;

/// <summary>
/// The hosted service behind the queue. At start-up, jobs a previous process left running are
/// marked failed (their work is lost) and queued ones are dispatched again (nothing else is lost);
/// then it dispatches until the host stops.
/// </summary>
public sealed class JobWorker(InProcessJobs queue, JobRunner runner, GalleryStore store, IModelCatalog catalog, ILogger<JobWorker> logger)
    : BackgroundService
{
    public const string InterruptedReason = "the server restarted while this job was running; submit it again";

    internal static TimeSpan RecoveryRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        queue.Runner = runner.RunAsync;
        // A database that cannot be written (full disk) must not stop the host: try again until it can.
        while (true)
        {
            try
            {
                await RecoverAsync(stoppingToken);
                break;
            }
            catch (Exception e) when (StorageFailure.IsDatabaseFailure(e) && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Jobs left by the previous run could not be recovered yet ({Reason}); retrying in {Delay} s",
                    StorageFailure.Describe(e) ?? e.Message, RecoveryRetryDelay.TotalSeconds);
                await Task.Delay(RecoveryRetryDelay, stoppingToken);
            }
        }
        await queue.RunDispatcherAsync(stoppingToken);
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        int failed = await store.MarkInterruptedJobsFailedAsync(InterruptedReason, cancellationToken);
        if (failed > 0) logger.LogWarning("{Count} job(s) were running when the server stopped; marked failed", failed);

        var tickets = new List<JobTicket>();
        foreach (var job in await store.ListQueuedJobsAsync(cancellationToken))
        {
            var invert = job.Kind == JobKind.Invert ? TryRead<InvertJobRequest>(job.RequestJson) : null;
            var source = job.Kind == JobKind.Edit && job.InversionId is Guid id ? await store.GetInversionAsync(job.OwnerId, id, cancellationToken) : null;
            string? model = invert?.Model ?? source?.ModelName;
            if (model is null || catalog.Find(model) is null)
            {
                await store.MarkJobFailedAsync(job.OwnerId, job.Id,
                    model is null ? "the job could not be read back after a restart" : $"model \"{model}\" is no longer configured on this server",
                    cancellationToken);
                continue;
            }
            tickets.Add(new JobTicket(job.Id, job.OwnerId, job.Kind, model, ModelCalls(model, invert, source)));
        }
        if (tickets.Count > 0)
        {
            logger.LogInformation("Re-dispatching {Count} queued job(s)", tickets.Count);
            queue.Restore(tickets);
        }
    }

    /// <summary>A restored job's cost, for the wait estimates (0 when it cannot be planned; the job then fails when it runs).</summary>
    private int ModelCalls(string model, InvertJobRequest? invert, Inversion? source)
    {
        try
        {
            if (invert is not null)
                return JobBudget.InversionCalls(catalog.Plan(model, new InversionRequest { Prompt = invert.Prompt, Parameters = invert.Parameters }));
            return source is null ? 0 : Math.Max(0, System.Text.Json.JsonSerializer.Deserialize<int[]>(source.TimestepsJson)!.Length - source.StartIndex);
        }
        catch (Exception e) when (e is ReNoiseInputException or System.Text.Json.JsonException)
        {
            return 0;
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
