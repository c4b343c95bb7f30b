using System.Threading.Channels;
using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine;
using ReNoise.Web.Services;

namespace ReNoise.Web.Jobs;

/// <summary>The result of a submission: a queued job, or why nothing was queued.</summary>
public sealed record SubmitResult(Guid? JobId, string? Error)
{
    public static SubmitResult Queued(Guid id) => new(id, null);
    public static SubmitResult Refused(string error) => new(null, error);
}

/// <summary>
/// The job queue: admission (a bounded <see cref="Channel{T}"/> of tickets plus a limit on waiting
/// jobs), fair dispatch across sessions (<see cref="FairQueue"/>), a number of concurrent jobs per
/// model, and cancellation. The rows live in the database; this holds only what is in flight.
/// <see cref="JobWorker"/> runs <see cref="RunDispatcherAsync"/>.
/// </summary>
public sealed class JobQueue
{
    private readonly GalleryStore _store;
    private readonly IModelCatalog _catalog;
    private readonly JobProgressHub _hub;
    private readonly UploadValidator _validator;
    private readonly ILogger<JobQueue> _logger;
    private readonly int _queueSize;
    private readonly Channel<JobTicket> _incoming;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly object _gate = new();
    private readonly FairQueue _waiting = new();
    private readonly Dictionary<Guid, RunningJob> _running = [];
    private int _admitted; // tickets in the channel or waiting: the queue length the limit applies to

    public JobQueue(GalleryStore store, IModelCatalog catalog, JobProgressHub hub, UploadValidator validator,
        IOptions<StudioOptions> options, ILogger<JobQueue> logger)
    {
        _store = store;
        _catalog = catalog;
        _hub = hub;
        _validator = validator;
        _logger = logger;
        _queueSize = Math.Max(1, options.Value.Jobs.QueueSize);
        _incoming = Channel.CreateBounded<JobTicket>(new BoundedChannelOptions(_queueSize) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Set by the worker: runs one job to its end (success, failure or cancellation).</summary>
    internal Func<JobTicket, CancellationToken, Func<bool>, Task>? Runner { get; set; }

    public int QueueSize => _queueSize;

    /// <summary>Jobs waiting to start, all models.</summary>
    public int WaitingCount { get { lock (_gate) return _admitted; } }

    /// <summary>Checks the submission, stores the job and queues it; refuses (storing nothing) bad input or a full queue.</summary>
    public async Task<SubmitResult> SubmitInversionAsync(Guid owner, InversionSubmission submission, CancellationToken cancellationToken = default)
    {
        if (_catalog.Find(submission.Model) is not { } model) return SubmitResult.Refused($"model \"{submission.Model}\" is not configured on this server");
        if (_validator.Check(submission, model) is { } error) return SubmitResult.Refused(error);
        if (!TryReserve()) return QueueFull();
        try
        {
            var request = new InvertJobRequest(model.Name, submission.Prompt.Trim(), submission.FileName, submission.Parameters);
            Guid id = await _store.EnqueueInvertJobAsync(owner, JobJson.Write(request), submission.Image, cancellationToken);
            Admit(new JobTicket(id, owner, JobKind.Invert, model.Name));
            return SubmitResult.Queued(id);
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>Queues an edit of the owner's inversion; refuses another owner's inversion like a missing one.</summary>
    public async Task<SubmitResult> SubmitEditAsync(Guid owner, Guid inversionId, string prompt, double guidance, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(prompt)) return SubmitResult.Refused("The target prompt is empty: describe the edited image.");
        if (!double.IsFinite(guidance) || guidance < 0 || guidance > 30)
            return SubmitResult.Refused($"Edit guidance must be a number from 0 to 30, got {guidance}");
        var inversion = await _store.GetInversionAsync(owner, inversionId, cancellationToken);
        if (inversion is null) return SubmitResult.Refused("That inversion does not exist (it may have been deleted).");
        if (_catalog.Find(inversion.ModelName) is null)
            return SubmitResult.Refused($"model \"{inversion.ModelName}\" of this inversion is no longer configured on this server");
        if (!TryReserve()) return QueueFull();
        try
        {
            var json = JobJson.Write(new EditJobRequest(prompt.Trim(), guidance));
            Guid? id = await _store.EnqueueEditJobAsync(owner, inversionId, json, cancellationToken);
            if (id is not Guid jobId)
            {
                Release();
                return SubmitResult.Refused("That inversion does not exist (it may have been deleted).");
            }
            Admit(new JobTicket(jobId, owner, JobKind.Edit, inversion.ModelName));
            return SubmitResult.Queued(jobId);
        }
        catch
        {
            Release();
            throw;
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
                if (removed) _admitted--;
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
            lock (_gate) _running.Remove(ticket.JobId);
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

    private bool TryReserve()
    {
        lock (_gate)
        {
            if (_admitted >= _queueSize) return false;
            _admitted++;
            return true;
        }
    }

    private void Release()
    {
        lock (_gate) _admitted--;
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

    private void PublishPositions()
    {
        List<(JobTicket Ticket, int Position)> positions = [];
        lock (_gate)
        {
            DrainIncoming();
            foreach (string model in _waiting.Models)
            {
                var order = _waiting.Order(model);
                for (int i = 0; i < order.Count; i++) positions.Add((order[i], i + 1));
            }
        }
        foreach (var (ticket, position) in positions)
            _hub.Publish(new JobProgress { JobId = ticket.JobId, OwnerId = ticket.OwnerId, Kind = ticket.Kind, Phase = JobPhase.Queued, QueuePosition = position });
    }

    private sealed class RunningJob(JobTicket ticket, CancellationTokenSource cancellation)
    {
        public JobTicket Ticket { get; } = ticket;
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public volatile bool UserCancelled;
    }
}
