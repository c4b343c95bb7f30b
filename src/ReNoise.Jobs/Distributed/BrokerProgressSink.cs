using System.Collections.Concurrent;
using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Options;
using ReNoise.Jobs.Messages;

namespace ReNoise.Jobs.Distributed;

/// <summary>
/// A worker's progress, on the broker: each job's snapshots are throttled to one per
/// <see cref="BrokerOptions.ProgressIntervalMs"/> (a new phase, a new preview and the final state always go),
/// then published in order by one sender task as non-durable <see cref="JobProgressed"/> messages, which
/// RabbitMQ fans out to every web node. Never blocks the job.
/// </summary>
public sealed class BrokerProgressSink : IJobProgressSink, IHostedService, IAsyncDisposable
{
    private readonly IBus _bus;
    private readonly ILogger<BrokerProgressSink> _logger;
    private readonly TimeSpan _interval;
    // Bounded, the oldest dropped: while the broker is away previews must not pile up. A final state that is
    // dropped is published from the job's row by the web nodes' monitor.
    private readonly Channel<JobProgress> _outgoing = Channel.CreateBounded<JobProgress>(
        new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
    private readonly ConcurrentDictionary<Guid, Sent> _sent = new();
    private Task? _sender;

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    public BrokerProgressSink(IBus bus, IOptions<BrokerOptions> options, ILogger<BrokerProgressSink> logger)
    {
        _bus = bus;
        _logger = logger;
        _interval = TimeSpan.FromMilliseconds(options.Value.ProgressIntervalMs);
    }

    public void Publish(JobProgress progress)
    {
        long now = Environment.TickCount64;
        if (progress.IsFinished)
        {
            _sent.TryRemove(progress.JobId, out _);
        }
        else
        {
            var last = _sent.GetValueOrDefault(progress.JobId);
            bool news = last is null || last.Phase != progress.Phase || (progress.PreviewPng is not null && last.PreviewStep != progress.PreviewStep);
            if (!news && now - last!.At < _interval.TotalMilliseconds) return;
            _sent[progress.JobId] = new Sent(now, progress.Phase, progress.PreviewPng is null ? last?.PreviewStep ?? -1 : progress.PreviewStep);
        }
        _outgoing.Writer.TryWrite(progress);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _sender = Task.Run(SendAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _outgoing.Writer.TryComplete();
        if (_sender is not null) await _sender.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        _outgoing.Writer.TryComplete();
        if (_sender is not null) await _sender.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task SendAsync()
    {
        await foreach (var progress in _outgoing.Reader.ReadAllAsync())
        {
            try
            {
                // Bounded: a broker that is away must not stall the progress of every later job.
                using var timeout = new CancellationTokenSource(PublishTimeout);
                await _bus.Publish(new JobProgressed(progress), context =>
                {
                    // Live progress only: lost with a broker restart, and dropped when a node falls a minute behind.
                    context.Durable = false;
                    context.TimeToLive = TimeSpan.FromMinutes(1);
                }, timeout.Token);
            }
            catch (Exception e)
            {
                // The job goes on and its row still records it; pages catch up from the row.
                _logger.LogWarning("Progress of job {JobId} not published: {Reason}", progress.JobId, e.Message);
            }
        }
    }

    private sealed record Sent(long At, JobPhase Phase, int PreviewStep);
}
