using System.Collections.Concurrent;

namespace ReNoise.Web.Jobs;

/// <summary>
/// The latest progress of every job this process is running or queueing, and its subscribers (the
/// pages showing it). In memory only: after a restart the database row tells what happened.
/// </summary>
/// <remarks>
/// Memory stays bounded: a finished job's snapshot leaves the live set at once, without its preview
/// image, for a small cache of <see cref="FinishedCapacity"/> entries (oldest out first), so a page
/// opened just after the end still sees the final state; a page that has read that final state
/// <see cref="Forget"/>s it. The database row holds the outcome for everyone else.
/// </remarks>
public sealed class JobProgressHub : IJobProgressSink
{
    public const int FinishedCapacity = 256;

    private readonly ConcurrentDictionary<Guid, JobProgress> _live = new();
    private readonly FinishedCache _finished = new(FinishedCapacity);
    private readonly ConcurrentDictionary<Guid, ImmutableSubscribers> _subscribers = new();

    /// <summary>Snapshots held (live and finished), to check that memory stays bounded.</summary>
    public int Count => _live.Count + _finished.Count;

    /// <summary>Jobs whose last snapshot here is not a final one (a distributed web node checks their rows for an end it missed).</summary>
    public IReadOnlyCollection<Guid> LiveJobIds => _live.Keys.ToArray();

    /// <summary>Whether a page of this process follows the job.</summary>
    public bool HasSubscribers(Guid jobId) => _subscribers.ContainsKey(jobId);

    public JobProgress? Get(Guid jobId) => _live.GetValueOrDefault(jobId) ?? _finished.Get(jobId);

    public void Publish(JobProgress progress)
    {
        if (progress.IsFinished)
        {
            // The final state without the preview image; it is what a page opened later still shows.
            _finished.Set(progress with { PreviewPng = null });
            _live.TryRemove(progress.JobId, out _);
        }
        else if (!_finished.Contains(progress.JobId))
        {
            // A late queue-position update never brings a finished job back to life.
            _live[progress.JobId] = progress;
        }
        if (!_subscribers.TryGetValue(progress.JobId, out var subscribers)) return;
        foreach (var handler in subscribers.Handlers) handler(progress);
    }

    /// <summary>Calls <paramref name="handler"/> on every update of the job until disposed. Handlers must not block.</summary>
    public IDisposable Subscribe(Guid jobId, Action<JobProgress> handler)
    {
        _subscribers.AddOrUpdate(jobId, _ => new ImmutableSubscribers([handler]), (_, s) => new ImmutableSubscribers([.. s.Handlers, handler]));
        return new Subscription(() =>
        {
            while (_subscribers.TryGetValue(jobId, out var current))
            {
                var remaining = current.Handlers.Where(h => h != handler).ToArray();
                bool done = remaining.Length == 0
                    ? _subscribers.TryRemove(new KeyValuePair<Guid, ImmutableSubscribers>(jobId, current))
                    : _subscribers.TryUpdate(jobId, new ImmutableSubscribers(remaining), current);
                if (done) return;
            }
        });
    }

    /// <summary>Drops a finished job's snapshot once a page has read its final state (the row keeps the outcome).</summary>
    public void Forget(Guid jobId)
    {
        _finished.Remove(jobId);
    }

    /// <summary>Finished snapshots, oldest dropped first beyond the capacity.</summary>
    private sealed class FinishedCache(int capacity)
    {
        private readonly object _gate = new();
        private readonly Dictionary<Guid, LinkedListNode<JobProgress>> _byId = [];
        private readonly LinkedList<JobProgress> _order = new();

        public int Count { get { lock (_gate) return _byId.Count; } }

        public bool Contains(Guid jobId) { lock (_gate) return _byId.ContainsKey(jobId); }

        public JobProgress? Get(Guid jobId) { lock (_gate) return _byId.TryGetValue(jobId, out var node) ? node.Value : null; }

        public void Set(JobProgress progress)
        {
            lock (_gate)
            {
                if (_byId.Remove(progress.JobId, out var old)) _order.Remove(old);
                _byId[progress.JobId] = _order.AddLast(progress);
                while (_byId.Count > capacity && _order.First is { } oldest)
                {
                    _order.RemoveFirst();
                    _byId.Remove(oldest.Value.JobId);
                }
            }
        }

        public void Remove(Guid jobId)
        {
            lock (_gate)
                if (_byId.Remove(jobId, out var node)) _order.Remove(node);
        }
    }

    private sealed record ImmutableSubscribers(Action<JobProgress>[] Handlers);

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;
        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
