using System.Diagnostics;
using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;

namespace ReNoise.Jobs;

/// <summary>How a run was started: by the embedded queue, or by a worker handed a message by the broker.</summary>
/// <param name="Redelivered">The broker redelivered the message (the worker that had it stopped without acknowledging it): a job found Running is taken over.</param>
/// <param name="ReleaseOnStop">When the process stops mid-job, give the job back (Queued again, for another worker) instead of failing it.</param>
public sealed record JobRunMode(bool Redelivered = false, bool ReleaseOnStop = false)
{
    public static readonly JobRunMode Embedded = new();
}

/// <summary>How a run ended.</summary>
public enum JobRunOutcome
{
    Done,
    Failed,
    Cancelled,
    /// <summary>Nothing was run: the job had finished, another worker has it, or it is not there.</summary>
    Skipped,
    /// <summary>The process is stopping: the job is Queued again for another worker (<see cref="JobRunMode.ReleaseOnStop"/>).</summary>
    Released,
}

/// <summary>
/// Runs one job on the engine: claims the row (counting the attempt), inverts (or denoises for an edit),
/// then stores the result and marks the job done in one transaction, only while the claim is still its
/// own. Progress goes through a <see cref="JobProgressWriter"/>, so the engine's callback never waits on
/// the database or a preview. A job is stopped after <see cref="JobBudget.MaxDuration"/>. Every way a job
/// ends is recorded on its row (a failed write is retried) and published live. The only caller of the
/// engine's pipeline in the studio, whether it runs in the web process (embedded) or in a GPU worker.
/// </summary>
public sealed class JobRunner(
    GalleryStore store,
    IModelCatalog catalog,
    IJobProgressSink hub,
    JobBudget budget,
    ModelPace pace,
    IOptions<StudioOptions> options,
    JobTelemetry telemetry,
    ILogger<JobRunner> logger)
{
    public const string StoppedReason = "the server stopped while this job was running; submit it again";

    /// <summary>Waits between attempts to record a failure the database refused (a full disk may free up).</summary>
    internal static TimeSpan[] FailureRetryDelays { get; set; } = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];

    private readonly bool _livePreview = options.Value.Jobs.LivePreview;
    private readonly TimeSpan _rowInterval = TimeSpan.FromMilliseconds(Math.Max(0, options.Value.Jobs.ProgressWriteIntervalMs));
    private readonly int _maxAttempts = Math.Max(1, options.Value.Jobs.MaxAttempts);

    /// <summary>The failure of a job whose workers kept stopping while they ran it.</summary>
    public static string AttemptsExhaustedMessage(int attempts) =>
        $"the job was started {attempts} time{(attempts == 1 ? "" : "s")} and each time the worker running it stopped before it finished; it was not tried again. Submit it again.";

    public Task<JobRunOutcome> RunAsync(JobTicket ticket, CancellationToken cancellation, Func<bool> userCancelled)
        => RunAsync(ticket, cancellation, userCancelled, JobRunMode.Embedded);

    public async Task<JobRunOutcome> RunAsync(JobTicket ticket, CancellationToken cancellation, Func<bool> userCancelled, JobRunMode mode)
    {
        using var activity = JobTelemetry.Activities.StartActivity("job.run");
        activity?.SetTag("job.id", ticket.JobId);
        activity?.SetTag("job.kind", ticket.Kind.ToString());
        activity?.SetTag("model", ticket.Model);
        using var limited = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limited.CancelAfter(budget.MaxDuration);
        await using var progress = new JobProgressWriter(hub, store, ticket, _rowInterval, logger);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int attempt = 0;
        JobRunOutcome outcome;
        try
        {
            var claim = await store.ClaimJobAsync(ticket.OwnerId, ticket.JobId, mode.Redelivered, _maxAttempts,
                AttemptsExhaustedMessage(_maxAttempts), cancellation);
            activity?.SetTag("job.attempt", claim.Attempt);
            switch (claim.Outcome)
            {
                case ClaimOutcome.Claimed:
                    attempt = claim.Attempt;
                    if (attempt > 1) telemetry.Redelivered(ticket.Kind.ToString(), ticket.Model);
                    break;
                case ClaimOutcome.AttemptsExhausted:
                    logger.LogWarning("Job {JobId} failed: claimed {Attempts} times, its worker stopped each time", ticket.JobId, claim.Attempt);
                    await progress.FinishAsync(p => p with { Phase = JobPhase.Failed, Error = AttemptsExhaustedMessage(claim.Attempt), CanResubmit = true });
                    return Ended(JobRunOutcome.Failed);
                case ClaimOutcome.Finished when claim.Status == JobStatus.Cancelled:
                    // Cancelled while it waited: the live state must not stay "queued".
                    await progress.FinishAsync(p => p with { Phase = JobPhase.Cancelled });
                    return JobRunOutcome.Skipped;
                default:
                    return JobRunOutcome.Skipped;
            }
            progress.Update(p => p with { Phase = JobPhase.Loading });
            outcome = ticket.Kind == JobKind.Invert
                ? await InvertAsync(ticket, attempt, progress, limited.Token)
                : await EditAsync(ticket, attempt, progress, limited.Token);
        }
        catch (OperationCanceledException) when (limited.IsCancellationRequested)
        {
            if (attempt == 0 && mode.ReleaseOnStop && cancellation.IsCancellationRequested)
                return JobRunOutcome.Released; // stopped before the claim: the row is still Queued, nothing to undo
            if (userCancelled())
            {
                await RecordAsync(ticket, () => store.MarkJobCancelledAsync(ticket.OwnerId, ticket.JobId), "cancelled");
                await progress.FinishAsync(p => p with { Phase = JobPhase.Cancelled });
                outcome = JobRunOutcome.Cancelled;
            }
            else if (cancellation.IsCancellationRequested && mode.ReleaseOnStop && attempt > 0
                     && await Safe(async () => await store.ReleaseJobAsync(ticket.OwnerId, ticket.JobId, attempt) ? (object)true : null) is not null)
            {
                // Another worker takes it from the start; its page shows it queued again meanwhile.
                await progress.FinishAsync(p => p with { Phase = JobPhase.Queued, Step = 0, Nfe = 0, PreviewPng = null });
                return JobRunOutcome.Released;
            }
            else
            {
                await Fail(ticket, attempt, progress, cancellation.IsCancellationRequested ? StoppedReason : budget.TimeLimitMessage);
                outcome = JobRunOutcome.Failed;
            }
        }
        catch (Exception e) when (e is ReNoiseInputException or InversionDivergedException or JobFailedException)
        {
            await Fail(ticket, attempt, progress, e switch
            {
                ReNoiseInputException input => ParameterLabels.Describe(input),
                InversionDivergedException diverged => diverged.Describe(ParameterLabels.Label),
                _ => e.Message,
            });
            outcome = JobRunOutcome.Failed;
        }
        catch (Exception e) when (StorageFailure.Describe(e) is { } storage)
        {
            logger.LogError(e, "Job {JobId} ({Kind}) could not be saved: {Reason}", ticket.JobId, ticket.Kind, storage);
            await Fail(ticket, attempt, progress, $"The result could not be saved: {storage}. Nothing was saved; submit it again later.");
            outcome = JobRunOutcome.Failed;
        }
        catch (Exception e) when (attempt == 0)
        {
            // The claim itself failed (the database is unreachable): nothing ran, nothing is recorded; the
            // caller decides (the broker's retry, or the embedded queue's log).
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
            throw;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {JobId} ({Kind}) failed", ticket.JobId, ticket.Kind);
            await Fail(ticket, attempt, progress, $"the job failed: {e.Message}");
            outcome = JobRunOutcome.Failed;
        }
        return Ended(outcome);

        JobRunOutcome Ended(JobRunOutcome how)
        {
            activity?.SetTag("job.outcome", how.ToString());
            telemetry.Finished(ticket.Kind.ToString(), ticket.Model, how.ToString(), clock.Elapsed);
            return how;
        }
    }

    /// <summary>
    /// Shows the failure at once, then records it on the row, retrying a write the database refuses. A run
    /// whose claim another worker has taken over since (a redelivery after a dropped connection, while this
    /// run went on) records and shows nothing: the job is that worker's now.
    /// </summary>
    private async Task Fail(JobTicket ticket, int attempt, JobProgressWriter progress, string message)
    {
        var row = await Safe(() => store.GetJobAsync(ticket.OwnerId, ticket.JobId));
        if (attempt > 0 && row is { Status: JobStatus.Running } && row.Attempts != attempt)
        {
            logger.LogWarning("Job {JobId} failed in attempt {Attempt} after attempt {Current} took it over; the failure is not recorded ({Message})",
                ticket.JobId, attempt, row.Attempts, message);
            return;
        }
        bool resubmittable = ticket.Kind == JobKind.Edit || row?.HasUpload == true;
        await progress.FinishAsync(p => p with { Phase = JobPhase.Failed, Error = message, CanResubmit = resubmittable });
        await RecordAsync(ticket, () => attempt > 0
            ? store.MarkJobFailedAsync(ticket.OwnerId, ticket.JobId, message, attempt)
            : store.MarkJobFailedAsync(ticket.OwnerId, ticket.JobId, message), "failed");
    }

    private async Task RecordAsync(JobTicket ticket, Func<Task<bool>> mark, string outcome)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await mark();
                return;
            }
            catch (Exception e) when (StorageFailure.IsDatabaseFailure(e) && attempt < FailureRetryDelays.Length)
            {
                logger.LogWarning("Could not mark job {JobId} {Outcome} ({Reason}); retrying", ticket.JobId, outcome, StorageFailure.Describe(e) ?? e.Message);
                await Task.Delay(FailureRetryDelays[attempt]);
            }
            catch (Exception e) when (StorageFailure.IsDatabaseFailure(e))
            {
                // The row stays Running; the next start-up marks it failed (MarkInterruptedJobsFailedAsync).
                logger.LogError(e, "Could not mark job {JobId} {Outcome}; its row is left running until the next start-up", ticket.JobId, outcome);
                return;
            }
        }
    }

    private static async Task<T?> Safe<T>(Func<Task<T?>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (StorageFailure.IsDatabaseFailure(e))
        {
            return null;
        }
    }

    /// <summary>The batch size the model's UNet calls had between two readings of its counters; null when it does not batch.</summary>
    private static double? JobsPerBatch((long Calls, long Elements) before, (long Calls, long Elements) after)
    {
        long calls = after.Calls - before.Calls;
        return calls > 0 ? (double)(after.Elements - before.Elements) / calls : null;
    }

    private async Task<JobRunOutcome> InvertAsync(JobTicket ticket, int attempt, JobProgressWriter progress, CancellationToken cancellation)
    {
        var job = await store.GetJobAsync(ticket.OwnerId, ticket.JobId) ?? throw new JobFailedException("the job row disappeared");
        telemetry.QueueWait(ticket.Kind.ToString(), ticket.Model, (job.StartedAt ?? DateTime.UtcNow) - job.CreatedAt);
        var bytes = await store.GetJobInputImageAsync(ticket.OwnerId, ticket.JobId) ?? throw new JobFailedException("the job has no uploaded image");
        var request = JobJson.Read<InvertJobRequest>(job.RequestJson);
        var model = catalog.Find(request.Model) ?? throw new JobFailedException($"model \"{request.Model}\" is no longer configured on this server");

        // The job holds the model until its result is stored, so a release of the model waits for it.
        using var lease = await Task.Run(() => catalog.Acquire(model.Name), cancellation);
        DiffusionModel loaded = lease.Model;
        var clock = Stopwatch.StartNew();
        var batchesBefore = loaded.BatchStats;
        var (result, onnxTime) = await Task.Run(() =>
        {
            var pipeline = new InversionPipeline(loaded);
            InversionPlan plan = pipeline.Plan(new InversionRequest { Prompt = request.Prompt, Parameters = request.Parameters });
            if (budget.CheckInversion(plan) is { } overBudget) throw new JobFailedException(overBudget); // e.g. the limit was lowered since
            // The job keeps the upload at working size: this decode is of a small PNG, no resize.
            RgbImage image;
            using (var stream = new MemoryStream(bytes, writable: false))
                image = ImageLoader.Load(stream, plan.Width, plan.Height, request.FileName);

            LatentShape shape = plan.Shape;
            if (_livePreview) progress.UsePreviewDecoder(latent => ImageEncoding.ToJpeg(pipeline.Decode(latent, shape)));
            progress.Update(p => p with { Phase = JobPhase.Inverting, ExpectedNfe = plan.ModelCalls, StepCount = plan.StepCount });
            TimeSpan ortBefore = loaded.OrtTime;
            var inversion = pipeline.Invert(plan, image, p =>
            {
                // The inference thread: record and return, nothing else.
                if (!p.StepCompleted)
                {
                    progress.Update(s => s with
                    {
                        Step = p.Step,
                        StepCount = p.StepCount,
                        Iteration = Math.Min(p.Iteration, p.Iterations),
                        Iterations = p.Iterations,
                        Nfe = p.Nfe,
                        Elapsed = clock.Elapsed,
                    });
                    return;
                }
                progress.StepCompleted(p.Step, p.StepLatent.Span, s => s with
                {
                    Phase = p.Step == p.StepCount ? JobPhase.Reconstructing : s.Phase,
                    Elapsed = clock.Elapsed,
                });
            }, cancellation);
            return (inversion, loaded.OrtTime - ortBefore);
        }, cancellation);
        progress.UsePreviewDecoder(null);
        pace.Record(model.Name, clock.Elapsed, result.Nfe + result.Plan.ReconstructionCalls);
        telemetry.ModelCalls(ticket.Kind.ToString(), model.Name, onnxTime, result.Nfe + result.Plan.ReconstructionCalls,
            JobsPerBatch(batchesBefore, loaded.BatchStats));

        progress.Update(p => p with { Phase = JobPhase.Saving, Nfe = result.Nfe, Elapsed = clock.Elapsed });
        var entity = InversionRecords.ToEntity(result, model.Name, request.FileName, onnxTime);
        if (await store.CompleteInvertJobAsync(ticket.OwnerId, ticket.JobId, entity, attempt) != JobCompletion.Stored)
            return await NotStoredAsync(ticket, progress);
        await progress.FinishAsync(p => p with { Phase = JobPhase.Done, InversionId = entity.Row.Id, Nfe = result.Nfe, PreviewPng = null });
        return JobRunOutcome.Done;
    }

    /// <summary>
    /// The result was not stored because the job is no longer this run's: cancelled at the last moment (the
    /// gallery stays as it was), or finished by another delivery of it (its result is the one kept).
    /// </summary>
    private async Task<JobRunOutcome> NotStoredAsync(JobTicket ticket, JobProgressWriter progress)
    {
        var row = await Safe(() => store.GetJobAsync(ticket.OwnerId, ticket.JobId));
        if (row is { Status: JobStatus.Done })
        {
            logger.LogWarning("Job {JobId} was finished by another delivery meanwhile; this run's result is dropped", ticket.JobId);
            await progress.FinishAsync(p => p with { Phase = JobPhase.Done, InversionId = row.InversionId, EditId = row.EditId, PreviewPng = null });
            return JobRunOutcome.Skipped;
        }
        if (row is { Status: JobStatus.Running })
        {
            // Taken over by another run, which is still going: its progress is the job's, not ours.
            logger.LogWarning("Job {JobId} was taken over by attempt {Attempt} meanwhile; this run's result is dropped", ticket.JobId, row.Attempts);
            return JobRunOutcome.Skipped;
        }
        await progress.FinishAsync(p => p with { Phase = JobPhase.Cancelled });
        return JobRunOutcome.Cancelled;
    }

    private async Task<JobRunOutcome> EditAsync(JobTicket ticket, int attempt, JobProgressWriter progress, CancellationToken cancellation)
    {
        var job = await store.GetJobAsync(ticket.OwnerId, ticket.JobId) ?? throw new JobFailedException("the job row disappeared");
        telemetry.QueueWait(ticket.Kind.ToString(), ticket.Model, (job.StartedAt ?? DateTime.UtcNow) - job.CreatedAt);
        var request = JobJson.Read<EditJobRequest>(job.RequestJson);
        const string deleted = "the inversion of this edit was deleted";
        Guid inversionId = job.InversionId ?? throw new JobFailedException(deleted);
        var row = await store.GetInversionAsync(ticket.OwnerId, inversionId) ?? throw new JobFailedException(deleted);
        if (catalog.Find(row.ModelName) is null) throw new JobFailedException($"model \"{row.ModelName}\" is no longer configured on this server");
        var latent = await store.GetInversionBlobAsync(ticket.OwnerId, inversionId, InversionBlobKind.Latent) ?? throw new JobFailedException(deleted);
        var noise = await store.GetInversionBlobAsync(ticket.OwnerId, inversionId, InversionBlobKind.NoiseMaps);
        progress.Update(p => p with { InversionId = inversionId });

        var clock = Stopwatch.StartNew();
        using var lease = await Task.Run(() => catalog.Acquire(row.ModelName), cancellation);
        DiffusionModel loaded = lease.Model;
        var batchesBefore = loaded.BatchStats;
        TimeSpan ortBefore = loaded.OrtTime;
        var result = await Task.Run(() =>
        {
            InvertedLatent stored = InversionRecords.ToInversion(row, latent, noise);
            if (budget.CheckEdit(stored.StepCount) is { } overBudget) throw new JobFailedException(overBudget);
            progress.Update(p => p with { Phase = JobPhase.Denoising, StepCount = stored.StepCount, ExpectedNfe = stored.StepCount });
            return new InversionPipeline(loaded).Denoise(stored, request.Prompt, request.Guidance,
                (done, total) => progress.Update(p => p with { Step = done, StepCount = total, Nfe = done, Elapsed = clock.Elapsed }),
                cancellation);
        }, cancellation);
        pace.Record(row.ModelName, clock.Elapsed, result.Nfe);
        telemetry.ModelCalls(ticket.Kind.ToString(), row.ModelName, loaded.OrtTime - ortBefore, result.Nfe, JobsPerBatch(batchesBefore, loaded.BatchStats));

        progress.Update(p => p with { Phase = JobPhase.Saving });
        var edit = new Edit
        {
            InversionId = inversionId,
            Prompt = request.Prompt,
            Guidance = request.Guidance,
            ImagePng = ImageEncoding.ToPng(result.Image),
            Nfe = result.Nfe,
            DurationMs = (long)clock.Elapsed.TotalMilliseconds,
        };
        switch (await store.CompleteEditJobAsync(ticket.OwnerId, ticket.JobId, edit, attempt))
        {
            case JobCompletion.InversionGone:
                throw new JobFailedException(deleted);
            case JobCompletion.NotRunning:
                return await NotStoredAsync(ticket, progress);
        }
        await progress.FinishAsync(p => p with { Phase = JobPhase.Done, EditId = edit.Id });
        return JobRunOutcome.Done;
    }
}

/// <summary>A job cannot run for a reason the user should read (its inversion was deleted, its model removed).</summary>
public sealed class JobFailedException(string message) : Exception(message);
