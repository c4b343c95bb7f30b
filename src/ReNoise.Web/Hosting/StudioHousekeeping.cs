using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Web.Services;

namespace ReNoise.Web.Hosting;

/// <summary>
/// Keeps storage bounded over time: every <see cref="SessionOptions.HousekeepingIntervalMinutes"/>,
/// anonymous sessions unseen for <see cref="SessionOptions.ExpireEmptyAfterDays"/> that hold nothing
/// are deleted, and uploads kept by failed jobs for <see cref="JobOptions.KeepFailedUploadsHours"/>
/// are dropped. A pass that fails (e.g. a full disk) is logged and tried again next time.
/// </summary>
public sealed class StudioHousekeeping(GalleryStore store, TimeProvider time, IOptions<StudioOptions> options, ILogger<StudioHousekeeping> logger)
    : BackgroundService
{
    public async Task RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var o = options.Value;
        int sessions = await store.ExpireEmptySessionsAsync(now.AddDays(-o.Sessions.ExpireEmptyAfterDays), cancellationToken);
        int uploads = await store.DropFailedJobUploadsAsync(now.AddHours(-o.Jobs.KeepFailedUploadsHours), cancellationToken);
        if (sessions + uploads > 0)
            logger.LogInformation("Housekeeping: {Sessions} empty session(s) expired, {Uploads} kept upload(s) dropped", sessions, uploads);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(Math.Max(1, options.Value.Sessions.HousekeepingIntervalMinutes)), time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (StorageFailure.IsDatabaseFailure(e))
            {
                logger.LogWarning("Housekeeping could not run: {Reason}", StorageFailure.Describe(e) ?? e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
