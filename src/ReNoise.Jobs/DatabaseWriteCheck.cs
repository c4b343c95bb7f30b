using Microsoft.Extensions.Diagnostics.HealthChecks;
using ReNoise.Data;

namespace ReNoise.Jobs;

/// <summary>
/// The <c>database</c> health check of web nodes and workers: healthy when the database takes a write
/// (a committed one-row update), since both store what users made; unhealthy, saying why, when it does not.
/// </summary>
public sealed class DatabaseWriteCheck(GalleryStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.ProbeWriteAsync(cancellationToken);
            return HealthCheckResult.Healthy("the database can be written");
        }
        catch (Exception e) when (StorageFailure.IsDatabaseFailure(e))
        {
            return HealthCheckResult.Unhealthy($"the database cannot be written: {StorageFailure.Describe(e) ?? e.Message}");
        }
    }
}
