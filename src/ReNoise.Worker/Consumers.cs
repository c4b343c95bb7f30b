using MassTransit;
using ReNoise.Jobs;
using ReNoise.Jobs.Messages;

namespace ReNoise.Worker;

/// <summary>
/// Runs the jobs of a model queue. The message is acknowledged when the run ends (done, failed, cancelled or
/// skipped); a worker killed mid-job never acknowledges it, so RabbitMQ hands it to another worker, marked
/// redelivered, and that worker's claim takes the job over (counting the attempt). A worker shutting down
/// gives its running jobs back: the row is Queued again and the message is sent to the queue again.
/// </summary>
[ExcludeFromConfigureEndpoints] // consumed on the model queues the worker declares itself
public sealed class RunJobConsumer(JobRunner runner, RunningJobs running, IHostApplicationLifetime lifetime, ILogger<RunJobConsumer> logger)
    : IConsumer<RunJob>
{
    public async Task Consume(ConsumeContext<RunJob> context)
    {
        var message = context.Message;
        // A redelivery, an in-memory retry after this process's own failed attempt, or an orphan sent again:
        // a Running row is then a dead attempt to take over, not another worker's live one.
        bool takeOver = context.ReceiveContext.Redelivered || context.GetRetryAttempt() > 0 || message.Orphaned;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var handle = running.Add(message.JobId, cancellation);
        try
        {
            var outcome = await runner.RunAsync(new JobTicket(message.JobId, message.OwnerId, message.Kind, message.Model, message.ModelCalls),
                cancellation.Token, () => handle.UserCancelled, new JobRunMode(takeOver, ReleaseOnStop: true));
            logger.LogInformation("Job {JobId} ({Model}): {Outcome}{Redelivered}", message.JobId, message.Model, outcome, takeOver ? " (taken over)" : "");
            if (outcome == JobRunOutcome.Released)
            {
                var queue = await context.GetSendEndpoint(context.ReceiveContext.InputAddress);
                await queue.Send(message with { Orphaned = false }, CancellationToken.None);
            }
        }
        finally
        {
            running.Remove(message.JobId, handle);
        }
    }
}

/// <summary>A user cancelled a job: every worker gets the message (fan-out); the one running it stops it.</summary>
public sealed class CancelJobConsumer(RunningJobs running, ILogger<CancelJobConsumer> logger) : IConsumer<CancelJob>
{
    public Task Consume(ConsumeContext<CancelJob> context)
    {
        if (running.Cancel(context.Message.JobId)) logger.LogInformation("Job {JobId} cancelled by its owner; stopping it", context.Message.JobId);
        return Task.CompletedTask;
    }
}
