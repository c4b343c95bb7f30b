using ReNoise.Data.Entities;

namespace ReNoise.Jobs;

/// <summary>A queued job as a dispatcher sees it; <see cref="ModelCalls"/> (what it will cost, 0 when unknown) feeds the wait estimates.</summary>
public sealed record JobTicket(Guid JobId, Guid OwnerId, JobKind Kind, string Model, int ModelCalls = 0);

/// <summary>
/// Where a running job's progress goes: the web process's <c>JobProgressHub</c> (embedded mode), or the
/// broker, which fans it out to every web node (distributed mode). Called from the job's progress writer,
/// never from the inference thread; must not block.
/// </summary>
public interface IJobProgressSink
{
    void Publish(JobProgress progress);
}
