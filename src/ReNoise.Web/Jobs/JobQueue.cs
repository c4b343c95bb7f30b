using System.Threading.Channels;
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
    public static SubmitResult Queued(Guid id) => new(id, null);
    public static SubmitResult Refused(string error) => new(null, error);
}

/// <summary>
/// The job queue: admission (a bounded <see cref="Channel{T}"/> of tickets, a limit on waiting jobs,
/// a limit per session on jobs queued or running, and the per-job budget of <see cref="JobBudget"/>),
/// fair dispatch across sessions (<see cref="FairQueue"/>), a number of concurrent jobs per model,
/// wait estimates, and cancellation. The rows live in the database; this holds only what is in
/// flight. <see cref="JobWorker"/> runs <see cref="RunDispatcherAsync"/>.
/// </summary>
public sealed class JobQueue
{
    private readonly GalleryStore _store;
    private readonly IModelCatalog _catalog;
    private readonly JobProgressHub _hub;
    private readonly UploadValidator _validator;
    private readonly JobBudget _budget;
    private readonly ModelPace _pace;
    private readonly ILogger<JobQueue> _logger;
    private readonly int _queueSize;
    private readonly int _perSession;
    private readonly Dictionary<Guid, int> _perOwner = []; // jobs queued or running per session
    private readonly Channel<JobTicket> _incoming;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly object _gate = new();
    private readonly FairQueue _waiting = new();
    private readonly Dictionary<Guid, RunningJob> _running = [];
    private int _admitted; // tickets in the channel or waiting: the queue length the limit applies to

    public JobQueue(GalleryStore store, IModelCatalog catalog, JobProgressHub hub, UploadValidator validator, JobBudget budget,
        ModelPace pace, IOptions<StudioOptions> options, ILogger<JobQueue> logger)
    {
        _store = store;
        _catalog = catalog;
        _hub = hub;
        _validator = validator;
        _budget = budget;
        _pace = pace;
        _logger = logger;
        _queueSize = Math.Max(1, options.Value.Jobs.QueueSize);
        _perSession = Math.Max(1, options.Value.Jobs.MaxJobsPerSession);
        _incoming = Channel.CreateBounded<JobTicket>(new BoundedChannelOptions(_queueSize) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Set by the worker: runs one job to its end (success, failure or cancellation).</summary>
    internal Func<JobTicket, CancellationToken, Func<bool>, Task>? Runner { get; set; }

    public int QueueSize => _queueSize;

    public int MaxJobsPerSession => _perSession;

    /// <summary>Jobs the owner has queued or running in this process.</summary>
    public int ActiveCountOf(Guid owner)
    {
        lock (_gate) return _perOwner.GetValueOrDefault(owner);
    }

    /// <summary>Jobs waiting to start, all models.</summary>
    public int WaitingCount { get { lock (_gate) return _admitted; } }

    /// <summary>
    /// Checks the submission (input, budget, the session's quota), stores the job with its upload at
    /// working size and queues it; refuses (storing nothing) bad input, an over-budget job, a session
    /// at its quota or a full queue.
    /// </summary>
    public async Task<SubmitResult> SubmitInversionAsync(Guid owner, InversionSubmission submission, CancellationToken cancellationToken = default)
    {
        if (_catalog.Find(submission.Model) is not { } model) return SubmitResult.Refused($"model \"{submission.Model}\" is not configured on this server");
        if (QuotaReached(owner)) return QuotaFull();
        var (accepted, error) = await _validator.CheckAsync(submission, model, cancellationToken);
        if (accepted is null) return SubmitResult.Refused(error!);
        if (TryReserve(owner) is { } refused) return refused;
        try
        {
            var request = new InvertJobRequest(model.Name, submission.Prompt.Trim(), submission.FileName, submission.Parameters);
            Guid id = await _store.EnqueueInvertJobAsync(owner, JobJson.Write(request), accepted.WorkingPng, cancellationToken);
            Admit(new JobTicket(id, owner, JobKind.Invert, model.Name, accepted.ModelCalls));
            return SubmitResult.Queued(id);
        }
        catch (Exception e) when (StorageFailure.Describe(e) is { } storage)
        {
            Release(owner);
            _logger.LogError(e, "Could not store a job: {Reason}", storage);
            return StorageRefused(storage);
        }
        catch
        {
            Release(owner);
            throw;
        }
    }

    /// <summary>Queues an edit of the owner's inversion; refuses another owner's inversion like a missing one.</summary>
    public async Task<SubmitResult> SubmitEditAsync(Guid owner, Guid inversionId, string prompt, double guidance, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(prompt)) return SubmitResult.Refused("The target prompt is empty: describe the edited image.");
        if (!double.IsFinite(guidance) || guidance < 0 || guidance > InversionParameters.MaxGuidance)
            return SubmitResult.Refused($"{ParameterLabels.Label(ParameterKey.EditGuidance)} must be a number from 0 to {InversionParameters.MaxGuidance}, got {guidance}");
        if (QuotaReached(owner)) return QuotaFull();
        var inversion = await _store.GetInversionAsync(owner, inversionId, cancellationToken);
        if (inversion is null) return SubmitResult.Refused("That inversion does not exist (it may have been deleted).");
        if (_catalog.Find(inversion.ModelName) is null)
            return SubmitResult.Refused($"model \"{inversion.ModelName}\" of this inversion is no longer configured on this server");
        int steps = EditSteps(inversion);
        if (_budget.CheckEdit(steps) is { } overBudget) return SubmitResult.Refused(overBudget);
        if (TryReserve(owner) is { } refused) return refused;
        try
        {
            var json = JobJson.Write(new EditJobRequest(prompt.Trim(), guidance));
            Guid? id = await _store.EnqueueEditJobAsync(owner, inversionId, json, cancellationToken);
            if (id is not Guid jobId)
            {
                Release(owner);
                return SubmitResult.Refused("That inversion does not exist (it may have been deleted).");
            }
            Admit(new JobTicket(jobId, owner, JobKind.Edit, inversion.ModelName, steps));
            return SubmitResult.Queued(jobId);
        }
        catch (Exception e) when (StorageFailure.Describe(e) is { } storage)
        {
            Release(owner);
            _logger.LogError(e, "Could not store a job: {Reason}", storage);
            return StorageRefused(storage);
        }
        catch
        {
            Release(owner);
            throw;
        }
    }

    /// <summary>
    /// Queues a failed job of the owner again, as a new job with the same request (and upload); refuses
    /// like a new submission (quota, full queue, budget), or when the job cannot be submitted again.
    /// </summary>
    public async Task<SubmitResult> ResubmitAsync(Guid owner, Guid failedJobId, CancellationToken cancellationToken = default)
    {
        var job = await _store.GetJobAsync(owner, failedJobId, cancellationToken);
        if (job is not { Status: JobStatus.Failed }) return SubmitResult.Refused("Only a failed job can be submitted again.");
        string? model;
        int calls;
        if (job.Kind == JobKind.Invert)
        {
            var request = JobJson.Read<InvertJobRequest>(job.RequestJson);
            if (_catalog.Find(request.Model) is not { } found) return SubmitResult.Refused($"model \"{request.Model}\" is not configured on this server");
            var (plan, error) = _validator.Plan(request.Prompt, found, request.Parameters);
            if (plan is null) return SubmitResult.Refused(error!);
            (model, calls) = (found.Name, JobBudget.InversionCalls(plan));
        }
        else
        {
            var inversion = job.InversionId is Guid id ? await _store.GetInversionAsync(owner, id, cancellationToken) : null;
            if (inversion is null) return SubmitResult.Refused("That inversion does not exist (it may have been deleted).");
            (model, calls) = (inversion.ModelName, EditSteps(inversion));
            if (_budget.CheckEdit(calls) is { } overBudget) return SubmitResult.Refused(overBudget);
        }
        if (TryReserve(owner) is { } refused) return refused;
        try
        {
            if (await _store.ResubmitFailedJobAsync(owner, failedJobId, cancellationToken) is not Guid newId)
            {
                Release(owner);
                return SubmitResult.Refused("This job cannot be submitted again: its photo is no longer kept. Upload it again in the studio.");
            }
            Admit(new JobTicket(newId, owner, job.Kind, model, calls));
            return SubmitResult.Queued(newId);
        }
        catch (Exception e) when (StorageFailure.Describe(e) is { } storage)
        {
            Release(owner);
            return StorageRefused(storage);
        }
        catch
        {
            Release(owner);
            throw;
        }
    }

    private static int EditSteps(Inversion inversion)
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

    /// <summary>
    /// Cancels the owner's job: a waiting one leaves the queue, a running one stops before its next
    /// model call. False when it is not the owner's or already finished.
    /// </summary>
    public async Task<bool> CancelAsync(Guid owner, Guid jobId)
    {
        RunningJob? running;
        bool removed = false;
        lock (_gate)
        {
            DrainIncoming();
            if (_running.TryGetValue(jobId, out running) && running.Ticket.OwnerId != owner) return false;
            if (running is null && _waiting.Find(jobId) is { } ticket)
            {
                if (ticket.OwnerId != owner) return false;
                removed = _waiting.Remove(jobId);
                if (removed)
                {
                    _admitted--;
                    DecrementOwner(owner);
                }
            }
        }
        if (running is not null)
        {
            running.UserCancelled = true;
            await running.Cancellation.CancelAsync();
            return true;
        }
        bool marked = await _store.MarkJobCancelledAsync(owner, jobId);
        if (marked || removed)
        {
            var job = await _store.GetJobAsync(owner, jobId);
            _hub.Publish(new JobProgress { JobId = jobId, OwnerId = owner, Kind = job?.Kind ?? JobKind.Invert, Phase = JobPhase.Cancelled });
            PublishPositions();
        }
        return marked;
    }

    /// <summary>1-based place of a waiting job among its model's queue, or null.</summary>
    public int? PositionOf(Guid jobId)
    {
        lock (_gate)
        {
            DrainIncoming();
            return _waiting.PositionOf(jobId);
        }
    }

    public bool IsRunning(Guid jobId)
    {
        lock (_gate) return _running.ContainsKey(jobId);
    }

    /// <summary>Puts jobs found queued in the database at start-up back in the queue (beyond the limit if need be).</summary>
    internal void Restore(IEnumerable<JobTicket> tickets)
    {
        lock (_gate)
        {
            foreach (var t in tickets)
            {
                _waiting.Enqueue(t);
                _admitted++;
                _perOwner[t.OwnerId] = _perOwner.GetValueOrDefault(t.OwnerId) + 1;
            }
        }
        PublishPositions();
        _wake.Release();
    }

    /// <summary>Moves submitted tickets into the fair queue and starts jobs while their model has a free slot.</summary>
    internal async Task RunDispatcherAsync(CancellationToken stopping)
    {
        var tasks = new List<Task>();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var started = new List<(JobTicket Ticket, RunningJob Job)>();
                bool waiting;
                lock (_gate)
                {
                    DrainIncoming();
                    foreach (string model in _waiting.Models.ToList())
                    {
                        int limit = _catalog.Find(model)?.Concurrency ?? 1;
                        while (_running.Values.Count(r => string.Equals(r.Ticket.Model, model, StringComparison.OrdinalIgnoreCase)) < limit
                               && _waiting.TryDequeue(model, out var next))
                        {
                            _admitted--;
                            var job = new RunningJob(next, CancellationTokenSource.CreateLinkedTokenSource(stopping));
                            _running[next.JobId] = job;
                            started.Add((next, job));
                        }
                    }
                    waiting = _waiting.Count > 0;
                }
                // Woken by a submission, a finished job or a restore: the places in line may have changed.
                if (waiting || started.Count > 0) PublishPositions();
                foreach (var (ticket, job) in started)
                    tasks.Add(Task.Run(() => RunOneAsync(ticket, job, stopping), CancellationToken.None));
                tasks.RemoveAll(t => t.IsCompleted);
                await _wake.WaitAsync(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        // Running jobs see the stop at their next model call; let them record it before the host goes away.
        await Task.WhenAll(tasks);
    }

    private async Task RunOneAsync(JobTicket ticket, RunningJob job, CancellationToken stopping)
    {
        try
        {
            if (Runner is { } run) await run(ticket, job.Cancellation.Token, () => job.UserCancelled);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Job {JobId} ended with an unhandled error", ticket.JobId);
        }
        finally
        {
            lock (_gate)
            {
                _running.Remove(ticket.JobId);
                DecrementOwner(ticket.OwnerId);
            }
            job.Cancellation.Dispose();
            if (!stopping.IsCancellationRequested) _wake.Release();
        }
    }

    /// <summary>Moves submitted tickets from the channel into the fair queue; call under the lock.</summary>
    private int DrainIncoming()
    {
        int arrived = 0;
        while (_incoming.Reader.TryRead(out var ticket))
        {
            _waiting.Enqueue(ticket);
            arrived++;
        }
        return arrived;
    }

    private bool QuotaReached(Guid owner)
    {
        lock (_gate) return _perOwner.GetValueOrDefault(owner) >= _perSession;
    }

    /// <summary>Takes a place in the queue and in the owner's quota, or says why not.</summary>
    private SubmitResult? TryReserve(Guid owner)
    {
        lock (_gate)
        {
            if (_perOwner.GetValueOrDefault(owner) >= _perSession) return QuotaFull();
            if (_admitted >= _queueSize) return QueueFull();
            _admitted++;
            _perOwner[owner] = _perOwner.GetValueOrDefault(owner) + 1;
            return null;
        }
    }

    private void Release(Guid owner)
    {
        lock (_gate)
        {
            _admitted--;
            DecrementOwner(owner);
        }
    }

    /// <summary>Call under the lock.</summary>
    private void DecrementOwner(Guid owner)
    {
        int left = _perOwner.GetValueOrDefault(owner) - 1;
        if (left > 0) _perOwner[owner] = left;
        else _perOwner.Remove(owner);
    }

    private void Admit(JobTicket ticket)
    {
        // Never blocks: admission keeps the number of waiting tickets within the channel's bound.
        if (!_incoming.Writer.TryWrite(ticket))
        {
            lock (_gate) _waiting.Enqueue(ticket);
        }
        _hub.Publish(new JobProgress { JobId = ticket.JobId, OwnerId = ticket.OwnerId, Kind = ticket.Kind, Phase = JobPhase.Queued, QueuePosition = null });
        _wake.Release();
    }

    private SubmitResult QueueFull() =>
        SubmitResult.Refused($"The queue is full ({_queueSize} jobs waiting); nothing was queued. Try again when a job has finished.");

    private SubmitResult QuotaFull() =>
        SubmitResult.Refused($"You already have {_perSession} jobs queued or running, the most one session may have; nothing was queued. Wait for one to finish, or cancel one.");

    private static SubmitResult StorageRefused(string reason) =>
        SubmitResult.Refused($"The server cannot store new jobs right now ({reason}); nothing was queued. Try again later.");

    /// <summary>
    /// Publishes each waiting job's place in line and its wait: the model calls still ahead of it (the
    /// rest of the running jobs' and the whole of the jobs before it) at the model's measured time per
    /// call, shared by the model's concurrent slots.
    /// </summary>
    private void PublishPositions()
    {
        List<(JobTicket Ticket, int Position, TimeSpan? Wait)> positions = [];
        lock (_gate)
        {
            DrainIncoming();
            foreach (string model in _waiting.Models)
            {
                double? perCall = _pace.SecondsPerCall(model);
                int slots = Math.Max(1, _catalog.Find(model)?.Concurrency ?? 1);
                double ahead = _running.Values.Where(r => string.Equals(r.Ticket.Model, model, StringComparison.OrdinalIgnoreCase))
                    .Sum(r => Math.Max(0, r.Ticket.ModelCalls - (_hub.Get(r.Ticket.JobId)?.Nfe ?? 0)));
                var order = _waiting.Order(model);
                for (int i = 0; i < order.Count; i++)
                {
                    TimeSpan? wait = perCall is double s ? TimeSpan.FromSeconds(ahead * s / slots) : null;
                    positions.Add((order[i], i + 1, wait));
                    ahead += order[i].ModelCalls;
                }
            }
        }
        foreach (var (ticket, position, wait) in positions)
            _hub.Publish(new JobProgress
            {
                JobId = ticket.JobId, OwnerId = ticket.OwnerId, Kind = ticket.Kind, Phase = JobPhase.Queued,
                QueuePosition = position, EstimatedWait = wait, ExpectedNfe = ticket.ModelCalls,
            });
    }

    private sealed class RunningJob(JobTicket ticket, CancellationTokenSource cancellation)
    {
        public JobTicket Ticket { get; } = ticket;
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public volatile bool UserCancelled;
    }
}
