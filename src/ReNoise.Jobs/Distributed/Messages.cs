using ReNoise.Data.Entities;

// MassTransit names exchanges after message types, and refuses types outside a namespace.
namespace ReNoise.Jobs.Messages;

/// <summary>
/// A job to run, sent by the web node that admitted it to its model's queue (<see cref="BrokerNames.ModelQueue"/>);
/// the row in the database is the job, this only says "run it". Durable, acknowledged when the run ends, so a
/// worker that dies mid-job leaves it to the broker to hand to another worker.
/// </summary>
/// <param name="Orphaned">
/// Sent again for a job whose row has said Running for longer than any run may take (its worker is gone and its
/// message with it): the worker that gets it takes the job over, as for a redelivery.
/// </param>
public sealed record RunJob(Guid JobId, Guid OwnerId, JobKind Kind, string Model, int ModelCalls, bool Orphaned = false);

/// <summary>Published (fan-out to every worker) when a user cancels a job; the worker running it stops it.</summary>
public sealed record CancelJob(Guid JobId, Guid OwnerId);

/// <summary>
/// A job's progress, published by the worker running it (throttled) and fanned out to every web node, which
/// hands it to its own progress hub, hence to the pages following the job. Not durable: a node that misses
/// one reads the job's row.
/// </summary>
public sealed record JobProgressed(JobProgress Progress);
