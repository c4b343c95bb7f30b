using System.Collections.Concurrent;

namespace ReNoise.Web.Jobs;

/// <summary>
/// The latest progress of every job this process has seen, and its subscribers (the pages
/// showing it). In memory only: after a restart the database row tells what happened.
/// </summary>
public sealed class JobProgressHub
{
    private readonly ConcurrentDictionary<Guid, JobProgress> _latest = new();
    private readonly ConcurrentDictionary<Guid, ImmutableSubscribers> _subscribers = new();

    public JobProgress? Get(Guid jobId) => _latest.GetValueOrDefault(jobId);

    public void Publish(JobProgress progress)
    {
        _latest[progress.JobId] = progress;
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

    /// <summary>Drops a finished job's snapshot (its preview image) once it is no longer needed.</summary>
    public void Forget(Guid jobId) => _latest.TryRemove(jobId, out _);

    private sealed record ImmutableSubscribers(Action<JobProgress>[] Handlers);

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;
        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
