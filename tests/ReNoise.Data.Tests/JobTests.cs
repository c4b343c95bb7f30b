using ReNoise.Data.Entities;

namespace ReNoise.Data.Tests;

public sealed class JobTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private GalleryStore _store = null!;
    private Guid _owner;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateMigratedAsync();
        _store = _db.NewStore();
        _owner = await _store.GetOrCreateSessionAsync(null);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task After_a_restart_running_jobs_fail_with_the_reason_and_nothing_else_changes()
    {
        var upload = Samples.Bytes(500, 42);
        var running = await _store.EnqueueInvertJobAsync(_owner, """{"steps":4}""", upload);
        var done = await _store.EnqueueInvertJobAsync(_owner, "{}", upload);
        var queued = await _store.EnqueueInvertJobAsync(_owner, "{}", upload);
        var failed = await _store.EnqueueInvertJobAsync(_owner, "{}", upload);
        Assert.True(await _store.MarkJobRunningAsync(_owner, running));
        Assert.True(await _store.MarkJobRunningAsync(_owner, done));
        var result = await _store.AddInversionAsync(_owner, Samples.Inversion());
        Assert.True(await _store.MarkJobDoneAsync(_owner, done, inversionId: result));
        Assert.True(await _store.MarkJobFailedAsync(_owner, failed, "out of memory"));
        var doneBefore = await _store.GetJobAsync(_owner, done);

        // A new process: new context, later clock.
        _db.Clock.Advance(TimeSpan.FromHours(1));
        var restarted = _db.NewStore();
        Assert.Equal(1, await restarted.MarkInterruptedJobsFailedAsync("The server restarted while this job was running."));

        var interrupted = await restarted.GetJobAsync(_owner, running);
        Assert.NotNull(interrupted);
        Assert.Equal(JobStatus.Failed, interrupted.Status);
        Assert.Equal("The server restarted while this job was running.", interrupted.Error);
        Assert.Equal(_db.Clock.GetUtcNow().UtcDateTime, interrupted.FinishedAt);
        Assert.Equal("""{"steps":4}""", interrupted.RequestJson);
        Assert.Equal(upload, await restarted.GetJobInputImageAsync(_owner, running));

        Assert.Equal(doneBefore, await restarted.GetJobAsync(_owner, done));
        Assert.Equal(result, doneBefore!.InversionId);
        Assert.Equal("out of memory", (await restarted.GetJobAsync(_owner, failed))!.Error);

        // Queued work is kept for the worker to pick up again.
        Assert.Equal(JobStatus.Queued, (await restarted.GetJobAsync(_owner, queued))!.Status);
        Assert.Equal([queued], (await restarted.ListQueuedJobsAsync()).Select(j => j.Id));
        Assert.Equal([queued], (await restarted.ListActiveJobsAsync(_owner)).Select(j => j.Id));
        Assert.Equal(0, await restarted.MarkInterruptedJobsFailedAsync("again"));
    }

    [Fact]
    public async Task Lifecycle_records_times_progress_and_result()
    {
        var inversion = await _store.AddInversionAsync(_owner, Samples.Inversion());
        var created = _db.Clock.GetUtcNow().UtcDateTime;
        var id = (await _store.EnqueueEditJobAsync(_owner, inversion, """{"prompt":"a dog"}"""))!.Value;

        var queued = (await _store.GetJobAsync(_owner, id))!;
        Assert.Equal((JobKind.Edit, JobStatus.Queued, created, inversion), (queued.Kind, queued.Status, queued.CreatedAt, queued.InversionId));
        Assert.Null(queued.StartedAt);
        Assert.Null(await _store.GetJobInputImageAsync(_owner, id));
        Assert.False(await _store.UpdateJobProgressAsync(_owner, id, 0.5));

        _db.Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.True(await _store.MarkJobRunningAsync(_owner, id));
        Assert.False(await _store.MarkJobRunningAsync(_owner, id));
        Assert.True(await _store.UpdateJobProgressAsync(_owner, id, 0.25, "step 1 of 4"));
        var running = (await _store.GetJobAsync(_owner, id))!;
        Assert.Equal(JobStatus.Running, running.Status);
        Assert.Equal(created.AddSeconds(3), running.StartedAt);
        Assert.Equal(DateTimeKind.Utc, running.StartedAt!.Value.Kind);
        Assert.Equal((0.25, "step 1 of 4"), (running.Progress, running.ProgressText));
        // Out-of-range progress is clamped; NaN is a caller bug.
        Assert.True(await _store.UpdateJobProgressAsync(_owner, id, 7.0, "step 4 of 4"));
        Assert.Equal(1.0, (await _store.GetJobAsync(_owner, id))!.Progress);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.UpdateJobProgressAsync(_owner, id, double.NaN));

        var edit = (await _store.AddEditAsync(_owner, Samples.Edit(inversion)))!.Value;
        _db.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await _store.MarkJobDoneAsync(_owner, id, editId: edit));
        var done = (await _store.GetJobAsync(_owner, id))!;
        Assert.Equal((JobStatus.Done, edit, inversion), (done.Status, done.EditId, done.InversionId));
        Assert.Equal(created.AddSeconds(5), done.FinishedAt);
        Assert.False(done.IsActive);
        Assert.Empty(await _store.ListActiveJobsAsync(_owner));
        // A finished job cannot change state again.
        Assert.False(await _store.MarkJobFailedAsync(_owner, id, "late"));
        Assert.False(await _store.MarkJobCancelledAsync(_owner, id));
    }

    [Fact]
    public async Task Cancelled_job_is_not_started_and_a_running_one_cannot_then_complete()
    {
        var upload = Samples.Bytes(10, 1);
        var waiting = await _store.EnqueueInvertJobAsync(_owner, "{}", upload);
        Assert.True(await _store.MarkJobCancelledAsync(_owner, waiting));
        Assert.False(await _store.MarkJobRunningAsync(_owner, waiting));
        Assert.Equal(JobStatus.Cancelled, (await _store.GetJobAsync(_owner, waiting))!.Status);

        var busy = await _store.EnqueueInvertJobAsync(_owner, "{}", upload);
        Assert.True(await _store.MarkJobRunningAsync(_owner, busy));
        Assert.True(await _store.MarkJobCancelledAsync(_owner, busy));
        Assert.False(await _store.MarkJobDoneAsync(_owner, busy, inversionId: null));
        Assert.False(await _store.UpdateJobProgressAsync(_owner, busy, 0.5));
        Assert.Equal(JobStatus.Cancelled, (await _store.GetJobAsync(_owner, busy))!.Status);
        Assert.Empty(await _store.ListQueuedJobsAsync());
    }

    [Fact]
    public async Task Recent_jobs_are_newest_first_and_limited()
    {
        var ids = new List<Guid>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add(await _store.EnqueueInvertJobAsync(_owner, "{}", Samples.Bytes(4, (byte)i)));
            _db.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var recent = await _store.ListRecentJobsAsync(_owner, limit: 3);
        Assert.Equal(ids.AsEnumerable().Reverse().Take(3), recent.Select(j => j.Id));
        Assert.Equal(ids, (await _store.ListActiveJobsAsync(_owner)).Select(j => j.Id));
    }
}
