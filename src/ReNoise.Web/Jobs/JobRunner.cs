using System.Diagnostics;
using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;
using ReNoise.Web.Services;

namespace ReNoise.Web.Jobs;

/// <summary>
/// Runs one job on the engine: claims the row, inverts (or denoises for an edit), then stores the
/// result and marks the job done in one transaction. Progress goes through a
/// <see cref="JobProgressWriter"/>, so the engine's callback never waits on the database or a preview.
/// A job is stopped after <see cref="JobBudget.MaxDuration"/>. Every way a job ends is recorded on its
/// row (a failed write is retried) and published live. The only place in the web app that calls the
/// engine's pipeline.
/// </summary>
public sealed class JobRunner(
    GalleryStore store,
    IModelCatalog catalog,
    JobProgressHub hub,
    JobBudget budget,
    ModelPace pace,
    IOptions<StudioOptions> options,
    ILogger<JobRunner> logger)
{
    public const string StoppedReason = "the server stopped while this job was running; submit it again";

    /// <summary>Waits between attempts to record a failure the database refused (a full disk may free up).</summary>
    internal static TimeSpan[] FailureRetryDelays { get; set; } = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];

    private readonly bool _livePreview = options.Value.Jobs.LivePreview;
    private readonly TimeSpan _rowInterval = TimeSpan.FromMilliseconds(Math.Max(0, options.Value.Jobs.ProgressWriteIntervalMs));

    public async Task RunAsync(JobTicket ticket, CancellationToken cancellation, Func<bool> userCancelled)
    {
        using var limited = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limited.CancelAfter(budget.MaxDuration);
        await using var progress = new JobProgressWriter(hub, store, ticket, _rowInterval, logger);
        try
        {
            if (!await store.MarkJobRunningAsync(ticket.OwnerId, ticket.JobId))
            {
                // Cancelled (or claimed) meanwhile: nothing to run; the live state must not stay "queued".
                if (await store.GetJobAsync(ticket.OwnerId, ticket.JobId) is { Status: JobStatus.Cancelled })
                    await progress.FinishAsync(p => p with { Phase = JobPhase.Cancelled });
                return;
            }
            progress.Update(p => p with { Phase = JobPhase.Loading });
            if (ticket.Kind == JobKind.Invert) await InvertAsync(ticket, progress, limited.Token);
            else await EditAsync(ticket, progress, limited.Token);
        }
        catch (OperationCanceledException) when (limited.IsCancellationRequested)
        {
            if (userCancelled())
            {
                await RecordAsync(ticket, () => store.MarkJobCancelledAsync(ticket.OwnerId, ticket.JobId), "cancelled");
                await progress.FinishAsync(p => p with { Phase = JobPhase.Cancelled });
            }
            else
            {
                await Fail(ticket, progress, cancellation.IsCancellationRequested ? StoppedReason : budget.TimeLimitMessage);
            }
        }
        catch (Exception e) when (e is ReNoiseInputException or InversionDivergedException or JobFailedException)
        {
            await Fail(ticket, progress, e switch
            {
                ReNoiseInputException input => ParameterLabels.Describe(input),
                InversionDivergedException diverged => diverged.Describe(ParameterLabels.Label),
                _ => e.Message,
            });
        }
        catch (Exception e) when (StorageFailure.Describe(e) is { } storage)
        {
            logger.LogError(e, "Job {JobId} ({Kind}) could not be saved: {Reason}", ticket.JobId, ticket.Kind, storage);
            await Fail(ticket, progress, $"The result could not be saved: {storage}. Nothing was saved; submit it again later.");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {JobId} ({Kind}) failed", ticket.JobId, ticket.Kind);
            await Fail(ticket, progress, $"the job failed: {e.Message}");
        }
    }

    /// <summary>Shows the failure at once, then records it on the row, retrying a write the database refuses.</summary>
    private async Task Fail(JobTicket ticket, JobProgressWriter progress, string message)
    {
        bool resubmittable = ticket.Kind == JobKind.Edit || (await Safe(() => store.GetJobAsync(ticket.OwnerId, ticket.JobId)))?.HasUpload == true;
        await progress.FinishAsync(p => p with { Phase = JobPhase.Failed, Error = message, CanResubmit = resubmittable });
        await RecordAsync(ticket, () => store.MarkJobFailedAsync(ticket.OwnerId, ticket.JobId, message), "failed");
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

    private async Task InvertAsync(JobTicket ticket, JobProgressWriter progress, CancellationToken cancellation)
    {
        var job = await store.GetJobAsync(ticket.OwnerId, ticket.JobId) ?? throw new JobFailedException("the job row disappeared");
        var bytes = await store.GetJobInputImageAsync(ticket.OwnerId, ticket.JobId) ?? throw new JobFailedException("the job has no uploaded image");
        var request = JobJson.Read<InvertJobRequest>(job.RequestJson);
        var model = catalog.Find(request.Model) ?? throw new JobFailedException($"model \"{request.Model}\" is no longer configured on this server");

        // The job holds the model until its result is stored, so a release of the model waits for it.
        using var lease = await Task.Run(() => catalog.Acquire(model.Name), cancellation);
        DiffusionModel loaded = lease.Model;
        var clock = Stopwatch.StartNew();
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

        progress.Update(p => p with { Phase = JobPhase.Saving, Nfe = result.Nfe, Elapsed = clock.Elapsed });
        var entity = InversionRecords.ToEntity(result, model.Name, request.FileName, onnxTime);
        if (await store.CompleteInvertJobAsync(ticket.OwnerId, ticket.JobId, entity) != JobCompletion.Stored)
        {
            // Cancelled at the last moment: nothing was stored, the gallery stays as it was.
            await progress.FinishAsync(p => p with { Phase = JobPhase.Cancelled });
            return;
        }
        await progress.FinishAsync(p => p with { Phase = JobPhase.Done, InversionId = entity.Row.Id, Nfe = result.Nfe, PreviewPng = null });
    }

    private async Task EditAsync(JobTicket ticket, JobProgressWriter progress, CancellationToken cancellation)
    {
        var job = await store.GetJobAsync(ticket.OwnerId, ticket.JobId) ?? throw new JobFailedException("the job row disappeared");
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
        switch (await store.CompleteEditJobAsync(ticket.OwnerId, ticket.JobId, edit))
        {
            case JobCompletion.InversionGone:
                throw new JobFailedException(deleted);
            case JobCompletion.NotRunning:
                await progress.FinishAsync(p => p with { Phase = JobPhase.Cancelled });
                return;
        }
        await progress.FinishAsync(p => p with { Phase = JobPhase.Done, EditId = edit.Id });
    }
}

/// <summary>A job cannot run for a reason the user should read (its inversion was deleted, its model removed).</summary>
public sealed class JobFailedException(string message) : Exception(message);
