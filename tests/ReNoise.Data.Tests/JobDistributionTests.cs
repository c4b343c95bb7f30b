using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ReNoise.Data.Entities;
using ReNoise.TestSupport;

namespace ReNoise.Data.Tests;

/// <summary>
/// What the distributed mode relies on in the database, on both providers: claims that count attempts and let a
/// redelivery take a dead worker's job over (and nothing else), completion that stores one result per job
/// whatever is delivered twice, the attempt limit, admission counted in the database, and the sweeps' conditional
/// takes. Each "node" is a store with its own context pool, as another process would have.
/// </summary>
public abstract class JobDistributionTests : IAsyncLifetime
{
    protected const string Exhausted = "started too often";
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Two stores on one migrated database (skips when the provider's server is not available).</summary>
    protected abstract Task<(GalleryStore A, GalleryStore B)> OpenAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public abstract Task DisposeAsync();

    private static async Task<(Guid Owner, Guid Job)> QueuedJobAsync(GalleryStore store)
    {
        Guid owner = await store.CreateSessionAsync();
        var admitted = await store.AdmitJobAsync(owner, new JobToAdmit(JobKind.Invert, "demo") { RequestJson = "{}", Upload = Samples.Bytes(64, 7) }, null);
        return (owner, admitted.JobId!.Value);
    }

    [SkippableFact]
    public async Task A_redelivered_job_is_taken_over_and_counted_and_a_duplicate_delivery_is_skipped()
    {
        var (a, b) = await OpenAsync();
        var (owner, job) = await QueuedJobAsync(a);

        var first = await a.ClaimJobAsync(owner, job, redelivered: false, maxAttempts: 3, Exhausted);
        Assert.Equal((ClaimOutcome.Claimed, 1), (first.Outcome, first.Attempt));
        // The same message delivered twice (not a redelivery): another worker has the job.
        Assert.Equal(ClaimOutcome.RunningElsewhere, (await b.ClaimJobAsync(owner, job, redelivered: false, maxAttempts: 3, Exhausted)).Outcome);
        // The worker died; the broker redelivers: taken over as attempt 2.
        var second = await b.ClaimJobAsync(owner, job, redelivered: true, maxAttempts: 3, Exhausted);
        Assert.Equal((ClaimOutcome.Claimed, 2), (second.Outcome, second.Attempt));
        var row = (await a.GetJobAsync(owner, job))!;
        Assert.Equal((JobStatus.Running, 2), (row.Status, row.Attempts));
        // Another owner's id pair is nothing.
        Assert.Equal(ClaimOutcome.Missing, (await a.ClaimJobAsync(Guid.NewGuid(), job, true, 3, Exhausted)).Outcome);
    }

    [SkippableFact]
    public async Task A_superseded_attempt_cannot_mark_the_job_failed_under_the_run_that_took_it_over()
    {
        var (a, b) = await OpenAsync();
        var (owner, job) = await QueuedJobAsync(a);
        Assert.Equal(1, (await a.ClaimJobAsync(owner, job, false, 3, Exhausted)).Attempt);
        Assert.Equal(2, (await b.ClaimJobAsync(owner, job, true, 3, Exhausted)).Attempt);

        // The first worker was only slow; it then stops or hits its time limit: the job is not its to fail.
        Assert.False(await a.MarkJobFailedAsync(owner, job, "the worker stopped", attempt: 1));
        Assert.Equal(JobStatus.Running, (await a.GetJobAsync(owner, job))!.Status);
        Assert.True(await b.MarkJobFailedAsync(owner, job, "the time limit", attempt: 2));
        Assert.Equal((JobStatus.Failed, "the time limit"), ((await a.GetJobAsync(owner, job))!.Status, (await a.GetJobAsync(owner, job))!.Error));
    }

    [SkippableFact]
    public async Task A_job_delivered_twice_stores_one_inversion_and_a_superseded_attempt_stores_nothing()
    {
        var (a, b) = await OpenAsync();
        var (owner, job) = await QueuedJobAsync(a);
        Assert.Equal(1, (await a.ClaimJobAsync(owner, job, false, 3, Exhausted)).Attempt);
        Assert.Equal(2, (await b.ClaimJobAsync(owner, job, true, 3, Exhausted)).Attempt);

        // The first worker was only slow, not dead: its result comes after the takeover and is refused.
        Assert.Equal(JobCompletion.NotRunning, await a.CompleteInvertJobAsync(owner, job, Samples.Inversion("late"), attempt: 1));
        Assert.Equal(JobCompletion.Stored, await b.CompleteInvertJobAsync(owner, job, Samples.Inversion("kept"), attempt: 2));
        // A further delivery that ran all the same: the job's result exists (unique job id), nothing more is stored.
        Assert.Equal(JobCompletion.NotRunning, await a.CompleteInvertJobAsync(owner, job, Samples.Inversion("again")));
        Assert.Equal(ClaimOutcome.Finished, (await a.ClaimJobAsync(owner, job, true, 3, Exhausted)).Outcome);

        var gallery = await a.ListInversionsAsync(owner);
        Assert.Equal("kept", Assert.Single(gallery).Prompt);
        var done = (await b.GetJobAsync(owner, job))!;
        Assert.Equal((JobStatus.Done, gallery[0].Id), (done.Status, done.InversionId));
    }

    [SkippableFact]
    public async Task An_edit_delivered_twice_stores_one_edit()
    {
        var (a, b) = await OpenAsync();
        Guid owner = await a.CreateSessionAsync();
        Guid inversion = await a.AddInversionAsync(owner, Samples.Inversion());
        var job = (await a.AdmitJobAsync(owner, new JobToAdmit(JobKind.Edit, "demo") { RequestJson = "{}", InversionId = inversion }, null)).JobId!.Value;
        Assert.Equal(ClaimOutcome.Claimed, (await a.ClaimJobAsync(owner, job, false, 3, Exhausted)).Outcome);

        Assert.Equal(JobCompletion.Stored, await a.CompleteEditJobAsync(owner, job, Samples.Edit(inversion, "first")));
        Assert.Equal(JobCompletion.NotRunning, await b.CompleteEditJobAsync(owner, job, Samples.Edit(inversion, "second")));
        Assert.Equal("first", Assert.Single(await b.ListEditsAsync(owner, inversion)).Prompt);
    }

    [SkippableFact]
    public async Task Past_the_attempt_limit_a_job_fails_with_the_reason()
    {
        var (a, b) = await OpenAsync();
        var (owner, job) = await QueuedJobAsync(a);
        Assert.Equal(1, (await a.ClaimJobAsync(owner, job, false, 2, Exhausted)).Attempt);
        Assert.Equal(2, (await b.ClaimJobAsync(owner, job, true, 2, Exhausted)).Attempt);

        var third = await a.ClaimJobAsync(owner, job, true, 2, Exhausted);

        Assert.Equal(ClaimOutcome.AttemptsExhausted, third.Outcome);
        var row = (await b.GetJobAsync(owner, job))!;
        Assert.Equal((JobStatus.Failed, Exhausted, 2), (row.Status, row.Error, row.Attempts));
        Assert.True(row.HasUpload); // it can be submitted again
    }

    [SkippableFact]
    public async Task A_worker_that_stops_gives_its_job_back_uncounted()
    {
        var (a, b) = await OpenAsync();
        var (owner, job) = await QueuedJobAsync(a);
        Assert.Equal(1, (await a.ClaimJobAsync(owner, job, false, 3, Exhausted)).Attempt);

        Assert.False(await b.ReleaseJobAsync(owner, job, attempt: 2));
        Assert.True(await a.ReleaseJobAsync(owner, job, attempt: 1));

        var row = (await b.GetJobAsync(owner, job))!;
        Assert.Equal((JobStatus.Queued, 0, (DateTime?)null), (row.Status, row.Attempts, row.StartedAt));
        var again = await b.ClaimJobAsync(owner, job, false, 3, Exhausted);
        Assert.Equal((ClaimOutcome.Claimed, 1), (again.Outcome, again.Attempt));
    }

    [SkippableFact]
    public async Task Admission_counts_the_sessions_jobs_and_the_waiting_jobs_in_the_database()
    {
        var (a, b) = await OpenAsync();
        var limits = new AdmissionLimits(MaxJobsPerSession: 2, QueueSize: 3);
        Guid alice = await a.CreateSessionAsync(), bob = await a.CreateSessionAsync();
        JobToAdmit Job() => new(JobKind.Invert, "demo") { RequestJson = "{}", Upload = Samples.Bytes(8, 1) };

        Assert.NotNull((await a.AdmitJobAsync(alice, Job(), limits)).JobId);
        Assert.NotNull((await b.AdmitJobAsync(alice, Job(), limits)).JobId);
        Assert.Equal(AdmissionRefusal.SessionQuota, (await a.AdmitJobAsync(alice, Job(), limits)).Refusal);
        Assert.NotNull((await b.AdmitJobAsync(bob, Job(), limits)).JobId);
        Assert.Equal(AdmissionRefusal.QueueFull, (await a.AdmitJobAsync(bob, Job(), limits)).Refusal);
        // Refusals stored nothing.
        Assert.Equal(2, (await a.ListActiveJobsAsync(alice)).Count);
        Assert.Single(await a.ListActiveJobsAsync(bob));
    }

    [SkippableFact]
    public async Task The_sweeps_take_a_job_once_whichever_node_asks()
    {
        var (a, b) = await OpenAsync();
        var (owner, job) = await QueuedJobAsync(a);
        var now = Clock.GetUtcNow().UtcDateTime;

        Assert.Empty(await a.TakeJobsToDispatchAsync(now.AddSeconds(-10), now.AddMinutes(-10), 10)); // too recent
        Clock.Advance(TimeSpan.FromSeconds(30));
        now = Clock.GetUtcNow().UtcDateTime;
        Assert.Equal(job, Assert.Single(await a.TakeJobsToDispatchAsync(now.AddSeconds(-10), now.AddMinutes(-10), 10)).Id);
        Assert.Empty(await b.TakeJobsToDispatchAsync(now.AddSeconds(-10), now.AddMinutes(-10), 10));

        Assert.Equal(ClaimOutcome.Claimed, (await a.ClaimJobAsync(owner, job, false, 3, Exhausted)).Outcome);
        Assert.Empty(await a.TakeOrphanedJobsAsync(Clock.GetUtcNow().UtcDateTime.AddMinutes(-12), 10));
        Clock.Advance(TimeSpan.FromMinutes(15));
        var before = Clock.GetUtcNow().UtcDateTime.AddMinutes(-12);
        Assert.Equal(job, Assert.Single(await b.TakeOrphanedJobsAsync(before, 10)).Id);
        Assert.Empty(await a.TakeOrphanedJobsAsync(before, 10));
    }
}

/// <summary>The embedded provider: a SQLite file.</summary>
public sealed class SqliteJobDistributionTests : JobDistributionTests
{
    private TestDatabase? _database;

    protected override async Task<(GalleryStore A, GalleryStore B)> OpenAsync()
    {
        _database = await TestDatabase.CreateMigratedAsync();
        return (new GalleryStore(_database.Contexts, Clock), new GalleryStore(_database.Contexts, Clock));
    }

    public override async Task DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
    }
}

/// <summary>
/// The distributed provider: a fresh database on the PostgreSQL server of <see cref="ClusterServices.Postgres"/>
/// (skipped without one), migrated with the PostgreSQL migration set; each store has its own service provider.
/// </summary>
public sealed class PostgresJobDistributionTests : JobDistributionTests
{
    private readonly List<ServiceProvider> _providers = [];
    private string? _connectionString;

    private ServiceProvider Node()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ReNoise:Database:Provider"] = "Postgres",
            ["ReNoise:Database:ConnectionString"] = _connectionString,
        }).Build();
        var services = new ServiceCollection().AddSingleton<TimeProvider>(Clock);
        var provider = services.AddReNoiseData(configuration, Path.GetTempPath()).BuildServiceProvider();
        _providers.Add(provider);
        return provider;
    }

    protected override async Task<(GalleryStore A, GalleryStore B)> OpenAsync()
    {
        Skip.If(ClusterServices.Postgres is null, ClusterServices.NoPostgres);
        _connectionString = await ClusterServices.CreateDatabaseAsync();
        var a = Node();
        await a.ApplyReNoiseMigrationsAsync();
        return (a.GetRequiredService<GalleryStore>(), Node().GetRequiredService<GalleryStore>());
    }

    [SkippableFact]
    public async Task The_postgres_migrations_create_every_table_and_match_the_model()
    {
        await OpenAsync();
        await using var db = await _providers[0].GetRequiredService<IDbContextFactory<ReNoiseDbContext>>().CreateDbContextAsync();
        Assert.True(db.Database.IsNpgsql());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges());
        var tables = await db.Database.SqlQueryRaw<string>(
            "SELECT table_name AS \"Value\" FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE '\\_\\_EF%'").ToListAsync();
        Assert.Equal(["Edits", "HealthProbes", "InversionBlobs", "Inversions", "Jobs", "ParameterPresets", "Sessions", "ShareLinks"], tables.Order());
    }

    [SkippableFact]
    public async Task Web_nodes_admitting_at_once_never_exceed_the_session_quota()
    {
        var (a, b) = await OpenAsync();
        Guid owner = await a.CreateSessionAsync();
        var limits = new AdmissionLimits(MaxJobsPerSession: 3, QueueSize: 32);

        var attempts = Enumerable.Range(0, 12).Select(i => Task.Run(() => (i % 2 == 0 ? a : b).AdmitJobAsync(owner,
            new JobToAdmit(JobKind.Invert, "demo") { RequestJson = "{}", Upload = Samples.Bytes(8, 1) }, limits)));
        var results = await Task.WhenAll(attempts);

        Assert.Equal(3, results.Count(r => r.JobId is not null));
        Assert.All(results.Where(r => r.JobId is null), r => Assert.Equal(AdmissionRefusal.SessionQuota, r.Refusal));
        Assert.Equal(3, (await b.ListActiveJobsAsync(owner)).Count);
    }

    [SkippableFact]
    public async Task The_gallery_sorts_by_prompt_ignoring_case_and_puts_missing_psnr_last()
    {
        var (a, _) = await OpenAsync();
        Guid owner = await a.CreateSessionAsync();
        await a.AddInversionAsync(owner, Samples.Inversion("banana", psnr: null));
        await a.AddInversionAsync(owner, Samples.Inversion("Apple", psnr: 20));
        await a.AddInversionAsync(owner, Samples.Inversion("cherry", psnr: 30));

        Assert.Equal(["Apple", "banana", "cherry"], (await a.ListInversionsAsync(owner, InversionSort.Prompt)).Select(i => i.Prompt));
        Assert.Equal(["cherry", "Apple", "banana"], (await a.ListInversionsAsync(owner, InversionSort.Psnr)).Select(i => i.Prompt));
    }

    public override async Task DisposeAsync()
    {
        foreach (var provider in _providers) await provider.DisposeAsync();
        if (_connectionString is not null) await ClusterServices.DropDatabaseAsync(_connectionString);
    }
}
