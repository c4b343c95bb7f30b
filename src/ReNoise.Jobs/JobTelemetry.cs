using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ReNoise.Jobs;

/// <summary>
/// The studio's own traces and metrics (OpenTelemetry reads them by the names below): where a job's time
/// goes — waiting in the queue, running, and inside ONNX Runtime per model call — and how deep the queue is.
/// One instance per process (a singleton), created through <see cref="IMeterFactory"/> so tests can listen.
/// </summary>
public sealed class JobTelemetry : IDisposable
{
    public const string Name = "ReNoise";

    /// <summary>Spans: one per job run on a worker (or the embedded runner), a child of the broker's consume span.</summary>
    public static readonly ActivitySource Activities = new(Name);

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _perCall;
    private readonly Histogram<double> _batchSize;
    private readonly Counter<long> _finished;
    private readonly Counter<long> _redelivered;
    private Func<IEnumerable<Measurement<int>>>? _queueDepth;

    public JobTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        // Buckets for what these measure (the SDK's default ones start at 5 and would put every model call in one).
        var jobSeconds = new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800] };
        var callSeconds = new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] };
        _duration = _meter.CreateHistogram("renoise.job.duration", "s", "Time a job ran on a worker, from its claim to its end", null, jobSeconds);
        _queueWait = _meter.CreateHistogram("renoise.job.queue_wait", "s", "Time a job waited from its admission to its start", null, jobSeconds);
        _perCall = _meter.CreateHistogram("renoise.unet.call.duration", "s",
            "ONNX Runtime time per model call of a job (UNet calls dominate; a batched call counts once for each job seated in it)", null, callSeconds);
        _batchSize = _meter.CreateHistogram<double>("renoise.unet.batch.size", "{job}",
            "Jobs per batched UNet call while a job ran (cross-job batching; 1: nothing shared)");
        _finished = _meter.CreateCounter<long>("renoise.jobs.finished", "{job}", "Jobs that ended, by outcome");
        _redelivered = _meter.CreateCounter<long>("renoise.jobs.redelivered", "{job}", "Jobs claimed again after the worker running them stopped");
        _meter.CreateObservableGauge("renoise.queue.depth", () => _queueDepth?.Invoke() ?? [], "{job}", "Jobs waiting to start, by model");
    }

    /// <summary>What the queue-depth gauge reads (the embedded queue, or a web node's view of the shared one).</summary>
    public void ObserveQueueDepth(Func<IEnumerable<Measurement<int>>> observe) => _queueDepth = observe;

    public void QueueWait(string kind, string model, TimeSpan wait) =>
        _queueWait.Record(Math.Max(0, wait.TotalSeconds), Tags(kind, model));

    public void Finished(string kind, string model, string outcome, TimeSpan duration)
    {
        var tags = Tags(kind, model);
        tags.Add("outcome", outcome);
        _duration.Record(duration.TotalSeconds, tags);
        _finished.Add(1, tags);
    }

    /// <summary>A finished run's ONNX Runtime time over its model calls, and the batch size its UNet calls saw.</summary>
    public void ModelCalls(string kind, string model, TimeSpan onnxTime, int calls, double? jobsPerBatch)
    {
        if (calls > 0) _perCall.Record(onnxTime.TotalSeconds / calls, Tags(kind, model));
        if (jobsPerBatch is double size && double.IsFinite(size) && size > 0) _batchSize.Record(size, Tags(kind, model));
    }

    public void Redelivered(string kind, string model) => _redelivered.Add(1, Tags(kind, model));

    private static TagList Tags(string kind, string model) => new() { { "job.kind", kind }, { "model", model } };

    public void Dispose() => _meter.Dispose();
}
