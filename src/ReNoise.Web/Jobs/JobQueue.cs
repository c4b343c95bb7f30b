using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Services;

namespace ReNoise.Web.Jobs;

/// <summary>The result of a submission: a queued job, or why nothing was queued.</summary>
public sealed record SubmitResult(Guid? JobId, string? Error)
{
    /// <summary>Refused only because the session has its most jobs queued or running: worth trying again when one ends.</summary>
    public bool QuotaReached { get; init; }

    public static SubmitResult Queued(Guid id) => new(id, null);
    public static SubmitResult Refused(string error) => new(null, error);
}

/// <summary>
/// Where admitted jobs go: the embedded process's own queue and runner (<see cref="InProcessJobs"/>), or the
/// shared database and the broker, for the GPU workers (<see cref="Distributed.BrokerJobs"/>). Each counts
/// the session quota and the queue limit its own way (in memory; in the database, for every web node).
/// </summary>
public interface IJobBackend
{
    int QueueSize { get; }
    int MaxJobsPerSession { get; }

    /// <summary>A cheap early refusal before a submission is checked (the final count is in <see cref="AdmitAsync"/>).</summary>
    bool QuotaReached(Guid owner);

    /// <summary>Stores the job as Queued and hands it on, or refuses it with the user's message, storing nothing.</summary>
    Task<SubmitResult> AdmitAsync(Guid owner, JobToAdmit job, int modelCalls, CancellationToken cancellationToken);

    Task<bool> CancelAsync(Guid owner, Guid jobId);
    int? PositionOf(Guid jobId);
    bool IsRunning(Guid jobId);
    int ActiveCountOf(Guid owner);
    int WaitingCount { get; }
}

/// <summary>
/// Admission of jobs, the same in both modes: every submission is checked again on the server (input,
/// parameters planned on the model, the per-job budget of <see cref="JobBudget"/>, the session's quota and
/// the queue limit), then handed to the <see cref="IJobBackend"/> of the mode. Pages, the HTTP API and tests
/// all submit through here.
/// </summary>
public sealed class JobQueue(IJobBackend backend, IModelCatalog catalog, UploadValidator validator, JobBudget budget, GalleryStore store)
{
    public int QueueSize => backend.QueueSize;

    public int MaxJobsPerSession => backend.MaxJobsPerSession;

    /// <summary>Jobs the owner has queued or running (embedded: in this process; distributed: as last read).</summary>
    public int ActiveCountOf(Guid owner) => backend.ActiveCountOf(owner);

    /// <summary>Jobs waiting to start, all models.</summary>
    public int WaitingCount => backend.WaitingCount;

    /// <summary>
    /// Checks the submission (input, budget, the session's quota), stores the job with its upload at
    /// working size and queues it; refuses (storing nothing) bad input, an over-budget job, a session
    /// at its quota or a full queue.
    /// </summary>
    public async Task<SubmitResult> SubmitInversionAsync(Guid owner, InversionSubmission submission, CancellationToken cancellationToken = default)
    {
        if (catalog.Find(submission.Model) is not { } model) return SubmitResult.Refused($"model \"{submission.Model}\" is not configured on this server");
        if (backend.QuotaReached(owner)) return JobRefusals.QuotaFull(backend.MaxJobsPerSession);
        var (accepted, error) = await validator.CheckAsync(submission, model, cancellationToken);
        if (accepted is null) return SubmitResult.Refused(error!);
        var request = new InvertJobRequest(model.Name, submission.Prompt.Trim(), submission.FileName, submission.Parameters);
        return await backend.AdmitAsync(owner, new JobToAdmit(JobKind.Invert, model.Name) { RequestJson = JobJson.Write(request), Upload = accepted.WorkingPng },
            accepted.ModelCalls, cancellationToken);
    }

    /// <summary>Queues an edit of the owner's inversion; refuses another owner's inversion like a missing one.</summary>
    public async Task<SubmitResult> SubmitEditAsync(Guid owner, Guid inversionId, string prompt, double guidance, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(prompt)) return SubmitResult.Refused("The target prompt is empty: describe the edited image.");
        if (!double.IsFinite(guidance) || guidance < 0 || guidance > InversionParameters.MaxGuidance)
            return SubmitResult.Refused($"{ParameterLabels.Label(ParameterKey.EditGuidance)} must be a number from 0 to {InversionParameters.MaxGuidance}, got {guidance}");
        if (backend.QuotaReached(owner)) return JobRefusals.QuotaFull(backend.MaxJobsPerSession);
        var inversion = await store.GetInversionAsync(owner, inversionId, cancellationToken);
        if (inversion is null) return SubmitResult.Refused(JobRefusals.InversionGone);
        if (catalog.Find(inversion.ModelName) is null)
            return SubmitResult.Refused($"model \"{inversion.ModelName}\" of this inversion is no longer configured on this server");
        int steps = EditSteps(inversion);
        if (budget.CheckEdit(steps) is { } overBudget) return SubmitResult.Refused(overBudget);
        var json = JobJson.Write(new EditJobRequest(prompt.Trim(), guidance));
        return await backend.AdmitAsync(owner, new JobToAdmit(JobKind.Edit, inversion.ModelName) { RequestJson = json, InversionId = inversionId },
            steps, cancellationToken);
    }

    /// <summary>
    /// Queues a failed job of the owner again, as a new job with the same request (and upload); refuses
    /// like a new submission (quota, full queue, budget), or when the job cannot be submitted again.
    /// </summary>
    public async Task<SubmitResult> ResubmitAsync(Guid owner, Guid failedJobId, CancellationToken cancellationToken = default)
    {
        var job = await store.GetJobAsync(owner, failedJobId, cancellationToken);
        if (job is not { Status: JobStatus.Failed }) return SubmitResult.Refused("Only a failed job can be submitted again.");
        string model;
        int calls;
        if (job.Kind == JobKind.Invert)
        {
            var request = JobJson.Read<InvertJobRequest>(job.RequestJson);
            if (catalog.Find(request.Model) is not { } found) return SubmitResult.Refused($"model \"{request.Model}\" is not configured on this server");
            var (plan, error) = validator.Plan(request.Prompt, found, request.Parameters);
            if (plan is null) return SubmitResult.Refused(error!);
            (model, calls) = (found.Name, JobBudget.InversionCalls(plan));
        }
        else
        {
            var inversion = job.InversionId is Guid id ? await store.GetInversionAsync(owner, id, cancellationToken) : null;
            if (inversion is null) return SubmitResult.Refused(JobRefusals.InversionGone);
            (model, calls) = (inversion.ModelName, EditSteps(inversion));
            if (budget.CheckEdit(calls) is { } overBudget) return SubmitResult.Refused(overBudget);
        }
        return await backend.AdmitAsync(owner, new JobToAdmit(job.Kind, model) { ResubmitOf = failedJobId }, calls, cancellationToken);
    }

    /// <summary>
    /// Cancels the owner's job: a waiting one leaves the queue, a running one stops before its next
    /// model call. False when it is not the owner's or already finished.
    /// </summary>
    public Task<bool> CancelAsync(Guid owner, Guid jobId) => backend.CancelAsync(owner, jobId);

    /// <summary>1-based place of a waiting job among its model's queue, or null.</summary>
    public int? PositionOf(Guid jobId) => backend.PositionOf(jobId);

    public bool IsRunning(Guid jobId) => backend.IsRunning(jobId);

    internal static int EditSteps(Inversion inversion)
    {
        try
        {
            return Math.Max(0, System.Text.Json.JsonSerializer.Deserialize<int[]>(inversion.TimestepsJson)!.Length - inversion.StartIndex);
        }
        catch (System.Text.Json.JsonException)
        {
            return 0;
        }
    }
}

/// <summary>The words of a refused submission, the same in both modes.</summary>
public static class JobRefusals
{
    public const string InversionGone = "That inversion does not exist (it may have been deleted).";
    public const string UploadGone = "This job cannot be submitted again: its photo is no longer kept. Upload it again in the studio.";

    public static SubmitResult QueueFull(int queueSize) =>
        SubmitResult.Refused($"The queue is full ({queueSize} jobs waiting); nothing was queued. Try again when a job has finished.");

    public static SubmitResult QuotaFull(int perSession) =>
        SubmitResult.Refused($"You already have {perSession} jobs queued or running, the most one session may have; nothing was queued. Wait for one to finish, or cancel one.")
            with { QuotaReached = true };

    public static SubmitResult StorageRefused(string reason) =>
        SubmitResult.Refused($"The server cannot store new jobs right now ({reason}); nothing was queued. Try again later.");

    /// <summary>The message for a refusal the store made.</summary>
    public static SubmitResult From(AdmissionRefusal refusal, int queueSize, int perSession) => refusal switch
    {
        AdmissionRefusal.SessionQuota => QuotaFull(perSession),
        AdmissionRefusal.QueueFull => QueueFull(queueSize),
        AdmissionRefusal.InversionGone => SubmitResult.Refused(InversionGone),
        _ => SubmitResult.Refused(UploadGone),
    };
}
