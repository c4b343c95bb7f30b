using System.Diagnostics;
using System.Threading.Channels;
using ReNoise.Data;

namespace ReNoise.Jobs;

/// <summary>
/// A running job's progress, off the inference thread. The engine's callback only records the newest
/// snapshot (and the newest step latent, for a preview) and wakes a channel; this writer's own task
/// publishes the snapshot to its <see cref="IJobProgressSink"/>, decodes the preview and writes the job's
/// row at most every <c>rowInterval</c>. The engine loop never waits on the database, a preview
/// decode or a page: when the writer is behind, intermediate snapshots and previews are skipped,
/// not queued, so memory stays at one snapshot and one latent per job.
/// </summary>
public sealed class JobProgressWriter : IAsyncDisposable
{
    private readonly IJobProgressSink _hub;
    private readonly GalleryStore _store;
    private readonly JobTicket _ticket;
    private readonly TimeSpan _rowInterval;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite, // one pending wake-up is enough: the writer reads the newest state
        SingleReader = true,
    });
    private readonly object _gate = new();
    private readonly Task _loop;
    private JobProgress _current;
    private PendingPreview? _preview;
    private Func<float[], byte[]?>? _decodePreview;
    private int _rowStep = -1;
    private long _rowWrittenAt = long.MinValue;

    public JobProgressWriter(IJobProgressSink hub, GalleryStore store, JobTicket ticket, TimeSpan rowInterval, ILogger logger)
    {
        _hub = hub;
        _store = store;
        _ticket = ticket;
        _rowInterval = rowInterval;
        _logger = logger;
        _current = new JobProgress { JobId = ticket.JobId, OwnerId = ticket.OwnerId, Kind = ticket.Kind, Phase = JobPhase.Loading };
        _loop = Task.Run(RunAsync);
    }

    public JobProgress Current
    {
        get { lock (_gate) return _current; }
    }

    /// <summary>
    /// How the writer turns a step latent into a preview image (the model's VAE). Runs on the writer's
    /// task, never the engine's; null: no previews.
    /// </summary>
    public void UsePreviewDecoder(Func<float[], byte[]?>? decode)
    {
        lock (_gate) _decodePreview = decode;
    }

    /// <summary>Applies a change to the snapshot and wakes the writer. Never blocks beyond a short lock; safe on the inference thread.</summary>
    public void Update(Func<JobProgress, JobProgress> change)
    {
        lock (_gate) _current = change(_current);
        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// Like <see cref="Update"/>, and keeps a copy of the latent a step reached for the preview (the
    /// engine reuses its buffer). A newer step replaces a preview not yet decoded.
    /// </summary>
    public void StepCompleted(int step, ReadOnlySpan<float> latent, Func<JobProgress, JobProgress> change)
    {
        lock (_gate)
        {
            _current = change(_current);
            if (_decodePreview is not null) _preview = new PendingPreview(step, latent.ToArray());
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// Stops the writer (waiting for what it is doing), applies the final change and publishes it
    /// directly: the final state always reaches the hub, after every earlier snapshot.
    /// </summary>
    public async Task<JobProgress> FinishAsync(Func<JobProgress, JobProgress> change)
    {
        _wake.Writer.TryComplete();
        await _loop;
        JobProgress final;
        lock (_gate)
        {
            _current = final = change(_current);
            _preview = null;
        }
        _hub.Publish(final);
        return final;
    }

    public async ValueTask DisposeAsync()
    {
        _wake.Writer.TryComplete();
        await _loop;
    }

    private async Task RunAsync()
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync())
            {
                _wake.Reader.TryRead(out _);
                JobProgress snapshot;
                PendingPreview? preview;
                Func<float[], byte[]?>? decode;
                lock (_gate)
                {
                    snapshot = _current;
                    (preview, _preview, decode) = (_preview, null, _decodePreview);
                }
                _hub.Publish(snapshot);
                if (preview is not null && decode is not null) Preview(preview, decode);
                await WriteRowAsync(snapshot);
            }
        }
        catch (Exception e)
        {
            // Progress is best effort: a failure here must not stop the job, only its live view.
            _logger.LogWarning(e, "Progress of job {JobId} stopped updating", _ticket.JobId);
        }
    }

    private void Preview(PendingPreview preview, Func<float[], byte[]?> decode)
    {
        byte[]? png;
        try
        {
            png = decode(preview.Latent);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogWarning(e, "Preview of job {JobId} failed", _ticket.JobId);
            return;
        }
        if (png is null) return;
        JobProgress next;
        lock (_gate)
        {
            if (_current.IsFinished) return;
            _current = next = _current with { PreviewPng = png, PreviewStep = preview.Step };
        }
        _hub.Publish(next);
    }

    /// <summary>Records the step in the job's row, so a page reading only the database sees it move; at most every interval.</summary>
    private async Task WriteRowAsync(JobProgress snapshot)
    {
        if (snapshot.Step == _rowStep || snapshot.StepCount == 0) return;
        long now = Stopwatch.GetTimestamp();
        if (_rowWrittenAt != long.MinValue && Stopwatch.GetElapsedTime(_rowWrittenAt, now) < _rowInterval) return;
        _rowWrittenAt = now;
        _rowStep = snapshot.Step;
        try
        {
            await _store.UpdateJobProgressAsync(_ticket.OwnerId, _ticket.JobId, (double)snapshot.Step / snapshot.StepCount,
                $"step {snapshot.Step}/{snapshot.StepCount}");
        }
        catch (Exception e) when (StorageFailure.IsDatabaseFailure(e))
        {
            _logger.LogWarning(e, "Could not record progress of job {JobId}", _ticket.JobId);
        }
    }

    private sealed record PendingPreview(int Step, float[] Latent);
}
