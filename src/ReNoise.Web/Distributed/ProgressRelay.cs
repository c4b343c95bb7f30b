using MassTransit;
using ReNoise.Jobs.Messages;
using ReNoise.Web.Jobs;

namespace ReNoise.Web.Distributed;

/// <summary>
/// Every web node's share of the workers' progress: the broker fans each <see cref="JobProgressed"/> out to one
/// temporary queue per node (auto-deleted with the node), and this hands it to the node's
/// <see cref="JobProgressHub"/>, hence to the circuits following the job.
/// </summary>
public sealed class ProgressRelay(JobProgressHub hub) : IConsumer<JobProgressed>
{
    public Task Consume(ConsumeContext<JobProgressed> context)
    {
        hub.Publish(context.Message.Progress);
        return Task.CompletedTask;
    }
}
