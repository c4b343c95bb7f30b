using ReNoise.Data.Entities;

namespace ReNoise.Data.Tests;

public sealed class JobTests : StoreTests
{

    [Fact]
    public async Task After_a_restart_running_jobs_fail_with_the_reason_and_nothing_else_changes()
    {
        var upload = Samples.Bytes(500, 42);
        var running = await Store.EnqueueInvertJobAsync(Owner, """{"steps":4}""", upload);
        var done = await Store.EnqueueInvertJobAsync(Owner, "{}", upload);
        var queued = await Store.EnqueueInvertJobAsync(Owner, "{}", upload);
        var failed = await Store.EnqueueInvertJobAsync(Owner, "{}", upload);
        Assert.True(await Store.MarkJobRunningAsync(Owner, running));
        Assert.True(await Store.MarkJobRunningAsync(Owner, done));
        var result = await Store.AddInversionAsync(Owner, Samples.Inversion());
        Assert.True(await Store.MarkJobDoneAsync(Owner, done, inversionId: result));
        Assert.True(await Store.MarkJobFailedAsync(Owner, failed, "out of memory"));
        var doneBefore = await Store.GetJobAsync(Owner, done);

        // A new process: new context, later clock.
        Db.Clock.Advance(TimeSpan.FromHours(1));
        var restarted = Db.NewStore();
        Assert.Equal(1, await restarted.MarkInterruptedJobsFailedAsync("The server restarted while this job was running."));

        var interrupted = await restarted.GetJobAsync(Owner, running);
        Assert.NotNull(interrupted);
        Assert.Equal(JobStatus.Failed, interrupted.Status);
        Assert.Equal("The server restarted while this job was running.", interrupted.Error);
        Assert.Equal(Db.Clock.GetUtcNow().UtcDateTime, interrupted.FinishedAt);
        Assert.Equal("""{"steps":4}""", interrupted.RequestJson);
        Assert.Equal(upload, await restarted.GetJobInputImageAsync(Owner, running));

        Assert.Equal(doneBefore, await restarted.GetJobAsync(Owner, done));
        Assert.Equal(result, doneBefore!.InversionId);
        Assert.Equal("out of memory", (await restarted.GetJobAsync(Owner, failed))!.Error);

        // Queued work is kept for the worker to pick up again.
        Assert.Equal(JobStatus.Queued, (await restarted.GetJobAsync(Owner, queued))!.Status);
        Assert.Equal([queued], (await restarted.ListQueuedJobsAsync()).Select(j => j.Id));
        Assert.Equal([queued], (await restarted.ListActiveJobsAsync(Owner)).Select(j => j.Id));
        Assert.Equal(0, await restarted.MarkInterruptedJobsFailedAsync("again"));
    }

    [Fact]
    public async Task Lifecycle_records_times_progress_and_result()
    {
        var inversion = await Store.AddInversionAsync(Owner, Samples.Inversion());
        var created = Db.Clock.GetUtcNow().UtcDateTime;
        var id = (await Store.EnqueueEditJobAsync(Owner, inversion, """{"prompt":"a dog"}"""))!.Value;

        var queued = (await Store.GetJobAsync(Owner, id))!;
        Assert.Equal((JobKind.Edit, JobStatus.Queued, created, inversion), (queued.Kind, queued.Status, queued.CreatedAt, queued.InversionId));
        Assert.Null(queued.StartedAt);
        Assert.Null(await Store.GetJobInputImageAsync(Owner, id));
        Assert.False(await Store.UpdateJobProgressAsync(Owner, id, 0.5));

        Db.Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.True(await Store.MarkJobRunningAsync(Owner, id));
        Assert.False(await Store.MarkJobRunningAsync(Owner, id));
        Assert.True(await Store.UpdateJobProgressAsync(Owner, id, 0.25, "step 1 of 4"));
        var running = (await Store.GetJobAsync(Owner, id))!;
        Assert.Equal(JobStatus.Running, running.Status);
        Assert.Equal(created.AddSeconds(3), running.StartedAt);
        Assert.Equal(DateTimeKind.Utc, running.StartedAt!.Value.Kind);
        Assert.Equal((0.25, "step 1 of 4"), (running.Progress, running.ProgressText));
        // Out-of-range progress is clamped; NaN is a caller bug.
        Assert.True(await Store.UpdateJobProgressAsync(Owner, id, 7.0, "step 4 of 4"));
        Assert.Equal(1.0, (await Store.GetJobAsync(Owner, id))!.Progress);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.UpdateJobProgressAsync(Owner, id, double.NaN));

        var edit = (await Store.AddEditAsync(Owner, Samples.Edit(inversion)))!.Value;
        Db.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await Store.MarkJobDoneAsync(Owner, id, editId: edit));
        var done = (await Store.GetJobAsync(Owner, id))!;
        Assert.Equal((JobStatus.Done, edit, inversion), (done.Status, done.EditId, done.InversionId));
        Assert.Equal(created.AddSeconds(5), done.FinishedAt);
        Assert.False(done.IsActive);
        Assert.Empty(await Store.ListActiveJobsAsync(Owner));
        // A finished job cannot change state again.
        Assert.False(await Store.MarkJobFailedAsync(Owner, id, "late"));
        Assert.False(await Store.MarkJobCancelledAsync(Owner, id));
    }

    [Fact]
    public async Task Cancelled_job_is_not_started_and_a_running_one_cannot_then_complete()
    {
        var upload = Samples.Bytes(10, 1);
        var waiting = await Store.EnqueueInvertJobAsync(Owner, "{}", upload);
        Assert.True(await Store.MarkJobCancelledAsync(Owner, waiting));
        Assert.False(await Store.MarkJobRunningAsync(Owner, waiting));
        Assert.Equal(JobStatus.Cancelled, (await Store.GetJobAsync(Owner, waiting))!.Status);

        var busy = await Store.EnqueueInvertJobAsync(Owner, "{}", upload);
        Assert.True(await Store.MarkJobRunningAsync(Owner, busy));
        Assert.True(await Store.MarkJobCancelledAsync(Owner, busy));
        Assert.False(await Store.MarkJobDoneAsync(Owner, busy, inversionId: null));
        Assert.False(await Store.UpdateJobProgressAsync(Owner, busy, 0.5));
        Assert.Equal(JobStatus.Cancelled, (await Store.GetJobAsync(Owner, busy))!.Status);
        Assert.Empty(await Store.ListQueuedJobsAsync());
    }

    [Fact]
    public async Task Recent_jobs_are_newest_first_and_limited()
    {
        var ids = new List<Guid>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add(await Store.EnqueueInvertJobAsync(Owner, "{}", Samples.Bytes(4, (byte)i)));
            Db.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var recent = await Store.ListRecentJobsAsync(Owner, limit: 3);
        Assert.Equal(ids.AsEnumerable().Reverse().Take(3), recent.Select(j => j.Id));
        Assert.Equal(ids, (await Store.ListActiveJobsAsync(Owner)).Select(j => j.Id));
    }
}
