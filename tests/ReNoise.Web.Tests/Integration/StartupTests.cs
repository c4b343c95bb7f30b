using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;

namespace ReNoise.Web.Tests.Integration;

public sealed class StartupTests
{
    [Fact]
    public async Task Migrations_apply_to_an_empty_database_in_wal_mode()
    {
        using var database = new TempDatabase();
        Assert.False(File.Exists(database.Path));
        using var factory = new StudioFactory(database, null);
        using (var client = factory.CreateClient())
            (await client.GetAsync("/healthz")).EnsureSuccessStatusCode();

        Assert.True(File.Exists(database.Path));
        await using var connection = new SqliteConnection($"Data Source={database.Path}");
        await connection.OpenAsync();
        Assert.Equal("wal", await Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal("20261201043915_ScaleOut", await Scalar(connection, "SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId DESC LIMIT 1;"));
        foreach (string table in new[] { "Sessions", "Inversions", "InversionBlobs", "Edits", "ShareLinks", "Jobs", "HealthProbes" })
            Assert.Equal(table, await Scalar(connection, $"SELECT name FROM sqlite_master WHERE type = 'table' AND name = '{table}';"));
    }

    [Fact]
    public async Task A_job_killed_mid_run_is_marked_failed_at_start_up_and_queued_jobs_run_again()
    {
        using var database = new TempDatabase();
        Guid owner, killed, waiting;
        // The previous process: it queued two inversions, started the first, and was killed.
        {
            var contexts = new PooledDbContextFactory<ReNoiseDbContext>(ReNoiseDatabaseSettings.ForSqliteFile(database.Path).CreateOptions());
            await using (var db = await contexts.CreateDbContextAsync())
                await ReNoiseDatabase.MigrateAsync(db);
            var store = new GalleryStore(contexts, TimeProvider.System);
            owner = await store.GetOrCreateSessionAsync(null);
            string request = JobJson.Write(new InvertJobRequest("demo-sd-turbo", "a cup of coffee", "coffee.png", ConfiguredModelCatalog.DemoPreset.Parameters));
            killed = await store.EnqueueInvertJobAsync(owner, request, TestImages.Coffee());
            Assert.True(await store.MarkJobRunningAsync(owner, killed));
            Assert.True(await store.UpdateJobProgressAsync(owner, killed, 0.5, "step 2/4"));
            waiting = await store.EnqueueInvertJobAsync(owner, request, TestImages.Coffee());
        }
        SqliteConnection.ClearAllPools();

        using var factory = new StudioFactory(database, null);
        _ = factory.Server; // start the host: migrations, housekeeping, worker

        var rerun = await Waiting.ForJobAsync(factory, owner, waiting, TimeSpan.FromSeconds(90), JobStatus.Done, JobStatus.Failed);
        Assert.True(rerun.Status == JobStatus.Done, rerun.Error);
        var interrupted = (await factory.WithStoreAsync(s => s.GetJobAsync(owner, killed)))!;
        Assert.Equal(JobStatus.Failed, interrupted.Status);
        Assert.Equal(JobWorker.InterruptedReason, interrupted.Error);
        Assert.NotNull(interrupted.FinishedAt);
        Assert.True(interrupted.HasUpload); // it can be submitted again
        var status = await factory.Services.GetRequiredService<JobStatusReader>().GetAsync(owner, killed);
        Assert.True(status!.CanResubmit);
        var gallery = await factory.WithStoreAsync(s => s.ListInversionsAsync(owner));
        Assert.Equal([rerun.InversionId!.Value], gallery.Select(i => i.Id));
    }

    [Fact]
    public void The_repository_root_settings_are_read_and_the_host_overrides_them()
    {
        using var factory = new StudioFactory();
        var configuration = factory.Services.GetRequiredService<IConfiguration>();

        // Keys that exist only in the repository-root appsettings.json (copied beside the app).
        Assert.Equal("20971520", configuration["ReNoise:Uploads:MaxBytes"]);
        Assert.Equal("1", configuration["ReNoise:Jobs:ConcurrencyPerModel"]);
        // The test host's settings win over the file ("Auto" there).
        Assert.Equal("Cpu", configuration["ReNoise:ExecutionProvider"]);

        var catalog = factory.Services.GetRequiredService<IModelCatalog>();
        var demo = Assert.Single(catalog.Models);
        Assert.True(demo.IsDemo);
        Assert.Equal("demo-sd-turbo (demo)", demo.DisplayName);
        Assert.Equal(384, demo.ImageSize);
    }

    private static async Task<string?> Scalar(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string?)await command.ExecuteScalarAsync();
    }
}

public sealed class QueueLimitTests
{
    [Fact]
    public async Task A_full_queue_refuses_a_submission_and_stores_nothing()
    {
        using var factory = new StudioFactory(null, new() { ["ReNoise:Jobs:QueueSize"] = "1", ["ReNoise:Jobs:MaxModelCalls"] = "100000" });
        var (_, owner) = await factory.NewBrowserAsync();
        var queue = factory.Services.GetRequiredService<JobQueue>();
        var hub = factory.Services.GetRequiredService<JobProgressHub>();
        // Long enough (500 steps x 21 calls) to be still running on a fast, idle machine when the
        // next submissions arrive; the test cancels it at the end.
        var parameters = ConfiguredModelCatalog.DemoPreset.Parameters with { InversionSteps = 500, RenoiseSteps = 20 };
        InversionSubmission Long() => new(TestImages.Coffee(), "coffee.png", "a cup of coffee", "demo-sd-turbo", parameters);

        Guid running = (await queue.SubmitInversionAsync(owner, Long())).JobId!.Value;
        await Waiting.UntilAsync(() => hub.Get(running) is { Phase: not JobPhase.Queued }, TimeSpan.FromSeconds(30), "the first job to start");
        Guid waiting = (await queue.SubmitInversionAsync(owner, Long())).JobId!.Value;
        var refused = await queue.SubmitInversionAsync(owner, Long());

        Assert.Null(refused.JobId);
        Assert.Contains("queue is full", refused.Error);
        Assert.Equal(2, (await factory.WithStoreAsync(s => s.ListRecentJobsAsync(owner, 10))).Count);
        Assert.Equal(1, queue.PositionOf(waiting));

        Assert.True(await queue.CancelAsync(owner, waiting));
        Assert.True(await queue.CancelAsync(owner, running));
        await Waiting.ForJobAsync(factory, owner, running, TimeSpan.FromSeconds(20), JobStatus.Cancelled);
        Assert.Equal(0, queue.WaitingCount);
    }
}
