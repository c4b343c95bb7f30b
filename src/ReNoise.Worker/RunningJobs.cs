using System.Collections.Concurrent;

namespace ReNoise.Worker;

/// <summary>The jobs this worker is running now, so a <c>CancelJob</c> finds the one to stop and /healthz can list them.</summary>
public sealed class RunningJobs
{
    private readonly ConcurrentDictionary<Guid, Handle> _running = new();

    public IReadOnlyCollection<Guid> Ids => _running.Keys.ToArray();

    public Handle Add(Guid jobId, CancellationTokenSource cancellation)
    {
        var handle = new Handle(cancellation);
        _running[jobId] = handle;
        return handle;
    }

    /// <summary>
    /// Forgets the run of <paramref name="handle"/>; a second delivery of the same job running here meanwhile
    /// (after a broker restart) keeps its own entry, so a cancel still finds it.
    /// </summary>
    public void Remove(Guid jobId, Handle handle) => _running.TryRemove(new KeyValuePair<Guid, Handle>(jobId, handle));

    /// <summary>Stops the job if it runs here (before its next model call); false when it does not.</summary>
    public bool Cancel(Guid jobId)
    {
        if (!_running.TryGetValue(jobId, out var handle)) return false;
        handle.UserCancelled = true;
        try
        {
            handle.Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended meanwhile.
        }
        return true;
    }

    public sealed class Handle(CancellationTokenSource cancellation)
    {
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public volatile bool UserCancelled;
    }
}
