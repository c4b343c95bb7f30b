using System.Threading.Channels;
using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Data.Entities;

namespace ReNoise.Web.Jobs;

/// <summary>
/// The embedded mode's queue, in this process: admission (a bounded <see cref="Channel{T}"/> of tickets, a
/// limit on waiting jobs, a limit per session on jobs queued or running), fair dispatch across sessions
/// (<see cref="FairQueue"/>), a number of concurrent jobs per model, wait estimates, and cancellation. The
/// rows live in the database; this holds only what is in flight. <see cref="JobWorker"/> runs
/// <see cref="RunDispatcherAsync"/>.
/// </summary>
public sealed class InProcessJobs : IJobBackend
{
    private readonly GalleryStore _store;
    private readonly IModelCatalog _catalog;
    private readonly JobProgressHub _hub;
    private readonly ModelPace _pace;
    private readonly ILogger<InProcessJobs> _logger;
    private readonly int _queueSize;
    private readonly int _perSession;
    private readonly Dictionary<Guid, int> _perOwner = []; // jobs queued or running per session
    private readonly Channel<JobTicket> _incoming;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly object _gate = new();
    private readonly FairQueue _waiting = new();
    private readonly Dictionary<Guid, RunningJob> _running = [];
    private int _admitted; // tickets in the channel or waiting: the queue length the limit applies to

    public InProcessJobs(GalleryStore store, IModelCatalog catalog, JobProgressHub hub, ModelPace pace, IOptions<StudioOptions> options,
        JobTelemetry telemetry, ILogger<InProcessJobs> logger)
    {
        _store = store;
        _catalog = catalog;
        _hub = hub;
        _pace = pace;
        _logger = logger;
        _queueSize = Math.Max(1, options.Value.Jobs.QueueSize);
        _perSession = Math.Max(1, options.Value.Jobs.MaxJobsPerSession);
        _incoming = Channel.CreateBounded<JobTicket>(new BoundedChannelOptions(_queueSize) { FullMode = BoundedChannelFullMode.Wait });
        telemetry.ObserveQueueDepth(() =>
        {
            lock (_gate)
            {
                DrainIncoming();
                // Every model, an empty queue included (0 is a reading, not a missing one).
                return _catalog.Models.Select(m => new System.Diagnostics.Metrics.Measurement<int>(_waiting.Order(m.Name).Count,
                    new KeyValuePair<string, object?>("model", m.Name))).ToList();
            }
        });
    }

    /// <summary>Set by the worker: runs one job to its end (success, failure or cancellation).</summary>
    internal Func<JobTicket, CancellationToken, Func<bool>, Task<JobRunOutcome>>? Runner { get; set; }

    public int QueueSize => _queueSize;

    public int MaxJobsPerSession => _perSession;

    /// <summary>Jobs the owner has queued or running in this process.</summary>
    public int ActiveCountOf(Guid owner)
    {
        lock (_gate) return _perOwner.GetValueOrDefault(owner);
    }

    /// <summary>Jobs waiting to start, all models.</summary>
    public int WaitingCount { get { lock (_gate) return _admitted; } }

    public bool QuotaReached(Guid owner)
    {
        lock (_gate) return _perOwner.GetValueOrDefault(owner) >= _perSession;
    }

    /// <summary>Takes a place in the queue and the owner's quota (in this process), stores the job and queues its ticket.</summary>
    public async Task<SubmitResult> AdmitAsync(Guid owner, JobToAdmit job, int modelCalls, CancellationToken cancellationToken)
    {
        if (TryReserve(owner) is { } refused) return refused;
        try
        {
            var admission = await _store.AdmitJobAsync(owner, job, limits: null, cancellationToken);
            if (admission.JobId is not Guid id)
            {
                Release(owner);
                return JobRefusals.From(admission.Refusal, _queueSize, _perSession);
            }
            Admit(new JobTicket(id, owner, job.Kind, job.Model, modelCalls));
            return SubmitResult.Queued(id);
        }
        catch (Exception e) when (StorageFailure.Describe(e) is { } storage)
        {
            Release(owner);
            _logger.LogError(e, "Could not store a job: {Reason}", storage);
            return JobRefusals.StorageRefused(storage);
        }
        catch
        {
            Release(owner);
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

    /// <summary>Takes a place in the queue and in the owner's quota, or says why not.</summary>
    private SubmitResult? TryReserve(Guid owner)
    {
        lock (_gate)
        {
            if (_perOwner.GetValueOrDefault(owner) >= _perSession) return JobRefusals.QuotaFull(_perSession);
            if (_admitted >= _queueSize) return JobRefusals.QueueFull(_queueSize);
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
