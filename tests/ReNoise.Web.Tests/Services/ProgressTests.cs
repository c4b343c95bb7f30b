using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Web.Jobs;
using ReNoise.Web.Tests.Integration;

namespace ReNoise.Web.Tests.Services;

public sealed class ProgressTests
{
    /// <summary>Holds every progress write to the Jobs table until released: a database that has stalled.</summary>
    private sealed class StalledProgressWrites : DbCommandInterceptor
    {
        public readonly ManualResetEventSlim Release = new(false);
        public int Waiting;

        public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.StartsWith("UPDATE", StringComparison.Ordinal) && command.CommandText.Contains("\"ProgressText\"", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref Waiting);
                await Task.Run(() => Release.Wait(TimeSpan.FromSeconds(30)), cancellationToken);
            }
            return result;
        }
    }

    [Fact]
    public async Task The_inference_thread_only_records_progress_while_the_database_and_the_preview_take_their_time()
    {
        using var database = new TempDatabase();
        var settings = ReNoiseDatabaseSettings.ForSqliteFile(database.Path);
        await using (var db = new ReNoiseDbContext(settings.CreateOptions())) await ReNoiseDatabase.MigrateAsync(db);
        var stalled = new StalledProgressWrites();
        var contexts = new PooledDbContextFactory<ReNoiseDbContext>(new DbContextOptionsBuilder<ReNoiseDbContext>(settings.CreateOptions()).AddInterceptors(stalled).Options);
        var store = new GalleryStore(contexts, TimeProvider.System);
        Guid owner = await store.CreateSessionAsync();
        Guid job = await store.EnqueueInvertJobAsync(owner, "{}", [1, 2, 3]);
        Assert.True(await store.MarkJobRunningAsync(owner, job));
        var hub = new JobProgressHub();
        var ticket = new JobTicket(job, owner, JobKind.Invert, "demo", 1000);
        int engineThread = Environment.CurrentManagedThreadId;
        bool engineRunning = false, decodedOnEngineThread = false;
        int decodes = 0;
        var seenNfe = new List<int>();
        using var subscription = hub.Subscribe(job, p => { lock (seenNfe) seenNfe.Add(p.Nfe); });

        var writer = new JobProgressWriter(hub, store, ticket, TimeSpan.Zero, NullLogger.Instance);
        writer.UsePreviewDecoder(latent =>
        {
            // The pool may reuse the test's thread later; what matters is never while it runs the engine loop.
            if (Volatile.Read(ref engineRunning) && Environment.CurrentManagedThreadId == engineThread) decodedOnEngineThread = true;
            Interlocked.Increment(ref decodes);
            Thread.Sleep(50); // a slow VAE
            return [(byte)latent.Length];
        });
        writer.Update(p => p with { Phase = JobPhase.Inverting, StepCount = 100, ExpectedNfe = 1000 });

        // The "engine": 1000 model calls and 100 steps, while every row write is stuck.
        var clock = Stopwatch.StartNew();
        float[] latent = new float[16];
        Volatile.Write(ref engineRunning, true);
        for (int call = 1; call <= 1000; call++)
        {
            int nfe = call;
            writer.Update(p => p with { Nfe = nfe, Step = nfe / 10 });
            if (call % 10 == 0) writer.StepCompleted(call / 10, latent, p => p);
        }
        var engineTime = clock.Elapsed;
        Volatile.Write(ref engineRunning, false);

        Assert.True(engineTime < TimeSpan.FromSeconds(1), $"the engine loop took {engineTime.TotalMilliseconds:0} ms: it waited on progress");
        await Waiting.UntilAsync(() => Volatile.Read(ref stalled.Waiting) > 0, TimeSpan.FromSeconds(10), "a row write to start");
        stalled.Release.Set();
        var final = await writer.FinishAsync(p => p with { Phase = JobPhase.Done });

        Assert.Equal(1000, final.Nfe);
        Assert.Null(hub.Get(job)!.PreviewPng); // finished snapshots keep no preview
        Assert.Equal(JobPhase.Done, hub.Get(job)!.Phase);
        Assert.False(decodedOnEngineThread, "a preview was decoded on the engine's thread");
        Assert.True(decodes > 0, "no preview was decoded at all");
        // Previews behind the engine were skipped, not queued: far fewer than the 100 steps.
        Assert.InRange(decodes, 0, 20);
        lock (seenNfe) Assert.Equal(1000, seenNfe[^1]);
        var row = await store.GetJobAsync(owner, job);
        Assert.True(row!.Progress > 0, "the row was written once the database came back");
    }

    [Fact]
    public void The_hub_forgets_finished_jobs_keeping_a_bounded_cache_without_previews()
    {
        var hub = new JobProgressHub();
        var owner = Guid.NewGuid();
        var ids = Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in ids)
        {
            hub.Publish(new JobProgress { JobId = id, OwnerId = owner, Kind = JobKind.Invert, Phase = JobPhase.Inverting, PreviewPng = new byte[10_000] });
            hub.Publish(new JobProgress { JobId = id, OwnerId = owner, Kind = JobKind.Invert, Phase = JobPhase.Done, PreviewPng = new byte[10_000] });
        }

        Assert.Equal(JobProgressHub.FinishedCapacity, hub.Count);
        Assert.Null(hub.Get(ids[0]));
        var last = hub.Get(ids[^1])!;
        Assert.Equal(JobPhase.Done, last.Phase);
        Assert.Null(last.PreviewPng);

        // A page that read the final state lets it go.
        hub.Forget(ids[^1]);
        Assert.Null(hub.Get(ids[^1]));
        Assert.Equal(JobProgressHub.FinishedCapacity - 1, hub.Count);

        // A late queue update does not bring a finished job back.
        hub.Publish(new JobProgress { JobId = ids[^2], OwnerId = owner, Kind = JobKind.Invert, Phase = JobPhase.Queued, QueuePosition = 1 });
        Assert.Equal(JobPhase.Done, hub.Get(ids[^2])!.Phase);
    }
}
