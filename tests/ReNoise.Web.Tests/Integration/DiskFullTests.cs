using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;

namespace ReNoise.Web.Tests.Integration;

/// <summary>
/// A disk that fills up (the app's database writes fail with SQLITE_FULL through an interceptor):
/// every failure is recorded and shown, nothing hangs in "Saving", and the studio recovers.
/// </summary>
public sealed class DiskFullTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static InversionSubmission Submission() => new(TestImages.Coffee(), "coffee.png", "a cup of coffee", "demo-sd-turbo",
        ConfiguredModelCatalog.DemoPreset.Parameters with { Width = 384, Height = 384 });

    [Fact]
    public async Task A_result_that_cannot_be_saved_fails_the_job_saying_why_and_it_can_be_submitted_again()
    {
        using var factory = new StudioFactory();
        var (_, owner) = await factory.NewBrowserAsync();
        var queue = factory.Services.GetRequiredService<JobQueue>();
        var hub = factory.Services.GetRequiredService<JobProgressHub>();

        // Only the result's images and tensors hit the full disk; the job's own row can still be written.
        factory.Writes.OnlyWhenSqlContains = "\"InversionBlobs\"";
        factory.Writes.Failing = true;
        Guid id = (await queue.SubmitInversionAsync(owner, Submission())).JobId!.Value;
        var job = await Waiting.ForJobAsync(factory, owner, id, Timeout, JobStatus.Done, JobStatus.Failed);
        factory.Writes.Failing = false;
        factory.Writes.OnlyWhenSqlContains = null;

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal("The result could not be saved: the disk holding the database is full. Nothing was saved; submit it again later.", job.Error);
        Assert.Empty(await factory.WithStoreAsync(s => s.ListInversionsAsync(owner)));
        await Waiting.UntilAsync(() => hub.Get(id)?.Phase == JobPhase.Failed, Timeout, "the page's live state to say failed");
        Assert.True(hub.Get(id)!.CanResubmit);
        Assert.True(job.HasUpload);

        // "Submit again": a new job with the same request and upload, which now runs to the end.
        var again = await queue.ResubmitAsync(owner, id);
        Assert.Null(again.Error);
        var rerun = await Waiting.ForJobAsync(factory, owner, again.JobId!.Value, Timeout, JobStatus.Done, JobStatus.Failed);
        Assert.True(rerun.Status == JobStatus.Done, rerun.Error);
        Assert.Single(await factory.WithStoreAsync(s => s.ListInversionsAsync(owner)));
        Assert.False((await factory.WithStoreAsync(s => s.GetJobAsync(owner, id)))!.HasUpload);
    }

    [Fact]
    public async Task When_even_the_failure_cannot_be_written_the_page_shows_it_at_once_and_the_mark_is_retried()
    {
        using var factory = new StudioFactory();
        var (_, owner) = await factory.NewBrowserAsync();
        var queue = factory.Services.GetRequiredService<JobQueue>();
        var hub = factory.Services.GetRequiredService<JobProgressHub>();
        // The disk fills up the moment the job saves its result: from then on no write succeeds.
        factory.Writes.OnlyWhenSqlContains = "\"InversionBlobs\"";
        factory.Writes.FillUpAtFirstFailure = true;
        factory.Writes.Failing = true;
        Guid id = (await queue.SubmitInversionAsync(owner, Submission())).JobId!.Value;

        await Waiting.UntilAsync(() => hub.Get(id)?.IsFinished == true, Timeout, "the job to end");
        var shown = hub.Get(id)!;
        Assert.Equal(JobPhase.Failed, shown.Phase);
        Assert.Contains("the disk holding the database is full", shown.Error);
        Assert.Equal(JobStatus.Running, (await factory.WithStoreAsync(s => s.GetJobAsync(owner, id)))!.Status); // the mark failed so far

        // Space comes back: a retry records the failure; nothing is left "Running" or "Saving".
        factory.Writes.Failing = false;
        factory.Writes.FillUpAtFirstFailure = false;
        var job = await Waiting.ForJobAsync(factory, owner, id, TimeSpan.FromSeconds(20), JobStatus.Failed);
        Assert.Equal(shown.Error, job.Error);
    }

    [Fact]
    public async Task A_submission_while_the_disk_is_full_is_refused_with_a_message_and_pages_still_render()
    {
        using var factory = new StudioFactory();
        var (browser, owner) = await factory.NewBrowserAsync();
        var queue = factory.Services.GetRequiredService<JobQueue>();
        factory.Writes.Failing = true;
        try
        {
            var refused = await queue.SubmitInversionAsync(owner, Submission());
            Assert.Null(refused.JobId);
            Assert.Equal("The server cannot store new jobs right now (the disk holding the database is full); nothing was queued. Try again later.", refused.Error);
            Assert.Equal(0, queue.ActiveCountOf(owner));

            foreach (string url in new[] { "/", "/gallery" })
            {
                using var page = await browser.GetAsync(url);
                Assert.Equal(HttpStatusCode.OK, page.StatusCode);
                Assert.Contains("ReNoise Studio", await page.Content.ReadAsStringAsync());
            }
            using var stranger = factory.CreateClient();
            using var fresh = await stranger.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode); // no session can be created; the page renders anyway
        }
        finally
        {
            factory.Writes.Failing = false;
        }
    }

    [Fact]
    public async Task Starting_on_a_full_disk_logs_one_clear_line_and_serves_reads_when_no_migration_is_pending()
    {
        using var database = new TempDatabase();
        using (var first = new StudioFactory(database, null))
            _ = first.Server; // migrated
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        using var factory = new StudioFactory(database, null);
        factory.Writes.Failing = true;
        using var client = factory.CreateClient();
        using var page = await client.GetAsync("/gallery");
        using var health = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var startup = factory.Logs.Entries.Where(e => e.Category == "ReNoise.Web.Startup").ToList();
        var line = Assert.Single(startup);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.Contains("cannot be written (the disk holding the database is full); starting anyway", line.Message);
        factory.Writes.Failing = false;
    }

    [Fact]
    public void Starting_on_a_full_disk_that_needs_a_migration_stops_with_one_clear_line()
    {
        using var factory = new StudioFactory();
        factory.Writes.Failing = true;

        // Program returns exit code 1 at this point; the test host may start its server regardless.
        _ = Record.Exception(() => factory.Server);

        var line = Assert.Single(factory.Logs.Entries, e => e.Category == "ReNoise.Web.Startup");
        Assert.Equal(LogLevel.Critical, line.Level);
        Assert.Contains("cannot be written (the disk holding the database is full) and needs a migration", line.Message);
    }
}
