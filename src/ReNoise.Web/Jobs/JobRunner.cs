using System.Diagnostics;
using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Web.Services;

namespace ReNoise.Web.Jobs;

/// <summary>
/// Runs one job on the engine: claims the row, inverts (or denoises for an edit), stores the
/// result and records the outcome, publishing progress after every model call. The only place
/// in the web app that calls the engine's pipeline.
/// </summary>
public sealed class JobRunner(
    GalleryStore store,
    IModelCatalog catalog,
    JobProgressHub hub,
    IOptions<StudioOptions> options,
    ILogger<JobRunner> logger)
{
    public const string StoppedReason = "the server stopped while this job was running; submit it again";

    private readonly bool _livePreview = options.Value.Jobs.LivePreview;

    public async Task RunAsync(JobTicket ticket, CancellationToken cancellation, Func<bool> userCancelled)
    {
        var progress = new ProgressState(hub, ticket);
        try
        {
            if (!await store.MarkJobRunningAsync(ticket.OwnerId, ticket.JobId))
                return; // cancelled (or claimed) meanwhile: nothing to run
            progress.Publish(p => p with { Phase = JobPhase.Loading });
            if (ticket.Kind == JobKind.Invert) await InvertAsync(ticket, progress, cancellation);
            else await EditAsync(ticket, progress, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            if (userCancelled())
            {
                await store.MarkJobCancelledAsync(ticket.OwnerId, ticket.JobId);
                progress.Publish(p => p with { Phase = JobPhase.Cancelled });
            }
            else
            {
                await store.MarkJobFailedAsync(ticket.OwnerId, ticket.JobId, StoppedReason);
                progress.Publish(p => p with { Phase = JobPhase.Failed, Error = StoppedReason });
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
        catch (Exception e)
        {
            logger.LogError(e, "Job {JobId} ({Kind}) failed", ticket.JobId, ticket.Kind);
            await Fail(ticket, progress, $"the job failed: {e.Message}");
        }
    }

    private async Task Fail(JobTicket ticket, ProgressState progress, string message)
    {
        await store.MarkJobFailedAsync(ticket.OwnerId, ticket.JobId, message);
        progress.Publish(p => p with { Phase = JobPhase.Failed, Error = message });
    }

    private async Task InvertAsync(JobTicket ticket, ProgressState progress, CancellationToken cancellation)
    {
        var job = await store.GetJobAsync(ticket.OwnerId, ticket.JobId) ?? throw new JobFailedException("the job row disappeared");
        var bytes = await store.GetJobInputImageAsync(ticket.OwnerId, ticket.JobId) ?? throw new JobFailedException("the job has no uploaded image");
        var request = JobJson.Read<InvertJobRequest>(job.RequestJson);
        var model = catalog.Find(request.Model) ?? throw new JobFailedException($"model \"{request.Model}\" is no longer configured on this server");

        // The job holds the model until its result is stored, so a release of the model waits for it.
        using var lease = await Task.Run(() => catalog.Acquire(model.Name), cancellation);
        DiffusionModel loaded = lease.Model;
        var (result, onnxTime) = await Task.Run(() =>
        {
            var pipeline = new InversionPipeline(loaded);
            InversionPlan plan = pipeline.Plan(new InversionRequest { Prompt = request.Prompt, Parameters = request.Parameters });
            RgbImage image;
            using (var stream = new MemoryStream(bytes, writable: false))
                image = ImageLoader.Load(stream, plan.Width, plan.Height, request.FileName);

            var clock = Stopwatch.StartNew();
            progress.Publish(p => p with { Phase = JobPhase.Inverting, ExpectedNfe = plan.ModelCalls, StepCount = plan.StepCount });
            TimeSpan ortBefore = loaded.OrtTime;
            var inversion = pipeline.Invert(plan, image, p =>
            {
                if (!p.StepCompleted)
                {
                    progress.Publish(s => s with
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
                byte[]? preview = _livePreview ? ImageEncoding.ToJpeg(pipeline.Decode(p.StepLatent.Span, plan.Shape)) : null;
                progress.Publish(s => s with
                {
                    PreviewPng = preview ?? s.PreviewPng,
                    PreviewStep = preview is null ? s.PreviewStep : p.Step,
                    Phase = p.Step == p.StepCount ? JobPhase.Reconstructing : s.Phase,
                    Elapsed = clock.Elapsed,
                });
                UpdateRow(ticket, (double)p.Step / Math.Max(1, p.StepCount), $"step {p.Step}/{p.StepCount}");
            }, cancellation);
            return (inversion, loaded.OrtTime - ortBefore);
        }, cancellation);

        progress.Publish(p => p with { Phase = JobPhase.Saving });
        var entity = InversionRecords.ToEntity(result, model.Name, request.FileName, onnxTime);
        Guid inversionId = await store.AddInversionAsync(ticket.OwnerId, entity);
        if (!await store.MarkJobDoneAsync(ticket.OwnerId, ticket.JobId, inversionId: inversionId))
        {
            // Cancelled at the last moment: the gallery stays as it was.
            await store.DeleteInversionAsync(ticket.OwnerId, inversionId);
            progress.Publish(p => p with { Phase = JobPhase.Cancelled });
            return;
        }
        progress.Publish(p => p with { Phase = JobPhase.Done, InversionId = inversionId, Nfe = result.Nfe, PreviewPng = null });
    }

    private async Task EditAsync(JobTicket ticket, ProgressState progress, CancellationToken cancellation)
    {
        var job = await store.GetJobAsync(ticket.OwnerId, ticket.JobId) ?? throw new JobFailedException("the job row disappeared");
        var request = JobJson.Read<EditJobRequest>(job.RequestJson);
        Guid inversionId = job.InversionId ?? throw new JobFailedException("the inversion of this edit was deleted");
        var row = await store.GetInversionAsync(ticket.OwnerId, inversionId) ?? throw new JobFailedException("the inversion of this edit was deleted");
        if (catalog.Find(row.ModelName) is null) throw new JobFailedException($"model \"{row.ModelName}\" is no longer configured on this server");
        progress.Publish(p => p with { InversionId = inversionId });

        var clock = Stopwatch.StartNew();
        using var lease = await Task.Run(() => catalog.Acquire(row.ModelName), cancellation);
        DiffusionModel loaded = lease.Model;
        var result = await Task.Run(() =>
        {
            InvertedLatent stored = InversionRecords.ToInversion(row);
            progress.Publish(p => p with { Phase = JobPhase.Denoising, StepCount = stored.StepCount, ExpectedNfe = stored.StepCount });
            return new InversionPipeline(loaded).Denoise(stored, request.Prompt, request.Guidance,
                (done, total) => progress.Publish(p => p with { Step = done, StepCount = total, Nfe = done, Elapsed = clock.Elapsed }),
                cancellation);
        }, cancellation);

        progress.Publish(p => p with { Phase = JobPhase.Saving });
        var edit = new Edit
        {
            InversionId = inversionId,
            Prompt = request.Prompt,
            Guidance = request.Guidance,
            ImagePng = ImageEncoding.ToPng(result.Image),
            Nfe = result.Nfe,
            DurationMs = (long)clock.Elapsed.TotalMilliseconds,
        };
        Guid editId = await store.AddEditAsync(ticket.OwnerId, edit) ?? throw new JobFailedException("the inversion of this edit was deleted");
        if (!await store.MarkJobDoneAsync(ticket.OwnerId, ticket.JobId, editId: editId))
        {
            await store.DeleteEditAsync(ticket.OwnerId, editId);
            progress.Publish(p => p with { Phase = JobPhase.Cancelled });
            return;
        }
        progress.Publish(p => p with { Phase = JobPhase.Done, EditId = editId });
    }

    /// <summary>Records the fraction in the job row, so a page reading only the database sees it move.</summary>
    private void UpdateRow(JobTicket ticket, double fraction, string text)
    {
        try
        {
            store.UpdateJobProgressAsync(ticket.OwnerId, ticket.JobId, fraction, text).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not record progress of job {JobId}", ticket.JobId);
        }
    }

    /// <summary>The job's latest snapshot; updates are applied in order from the job's own thread.</summary>
    private sealed class ProgressState(JobProgressHub hub, JobTicket ticket)
    {
        private readonly object _gate = new();

        public JobProgress Current { get; private set; } = new()
        {
            JobId = ticket.JobId, OwnerId = ticket.OwnerId, Kind = ticket.Kind, Phase = JobPhase.Loading,
        };

        public void Publish(Func<JobProgress, JobProgress> change)
        {
            JobProgress next;
            lock (_gate) Current = next = change(Current);
            hub.Publish(next);
        }
    }
}

/// <summary>A job cannot run for a reason the user should read (its inversion was deleted, its model removed).</summary>
public sealed class JobFailedException(string message) : Exception(message);
