using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ReNoise.Data.Entities;

namespace ReNoise.Data.Tests;

/// <summary>Blobs out of the rows, deletion that deletes every byte, uploads that do not outlive their job, one transaction per result.</summary>
public sealed class StorageLimitsTests : StoreTests
{
    [Fact]
    public async Task Deleting_an_inversion_leaves_none_of_its_bytes_in_the_database_file()
    {
        // Recognisable bytes in every part of the inversion: images, tensors, the job's upload, prompt and file name.
        byte[] marker = Encoding.ASCII.GetBytes("PHOTO-OF-A-PRIVATE-LIVING-ROOM-");
        byte[] Marked(int length) => Enumerable.Range(0, length).Select(i => marker[i % marker.Length]).ToArray();
        var sample = Samples.Inversion("a private living room");
        sample.Row.SourceFileName = "living-room-secret.jpg";
        var inversion = sample with { Files = sample.Files with { InputPng = Marked(3000), ReconstructionPng = Marked(3000), ThumbnailPng = Marked(500) } };
        string request = """{"prompt":"a private living room","fileName":"living-room-secret.jpg"}""";
        Guid job = await Store.EnqueueInvertJobAsync(Owner, request, Marked(4000));
        Assert.True(await Store.MarkJobRunningAsync(Owner, job));
        Assert.Equal(JobCompletion.Stored, await Store.CompleteInvertJobAsync(Owner, job, inversion));
        Guid id = inversion.Row.Id;
        var editRow = Samples.Edit(id, "a private living room at night");
        editRow.ImagePng = Marked(2000);
        var edit = (await Store.AddEditAsync(Owner, editRow))!.Value;
        Guid editJob = (await Store.EnqueueEditJobAsync(Owner, id, """{"prompt":"a private living room at night"}"""))!.Value;
        Assert.True(FileContains(marker), "the marker is in the database before the deletion");

        Assert.True(await Store.DeleteInversionAsync(Owner, id));

        Assert.Null(await Store.GetJobAsync(Owner, job));
        Assert.Null(await Store.GetJobAsync(Owner, editJob));
        Assert.Null(await Store.GetEditImageAsync(Owner, edit));
        await using var check = Db.NewContext();
        Assert.Equal(0, await check.InversionBlobs.CountAsync());
        Assert.Equal(0, await check.Jobs.CountAsync());
        SqliteConnection.ClearAllPools();
        Assert.False(FileContains(marker), "bytes of the deleted photo remain in the database file or its log");
        Assert.False(FileContains(Encoding.UTF8.GetBytes("living-room-secret")), "the deleted photo's file name remains");
        Assert.False(FileContains(Encoding.UTF8.GetBytes("a private living room")), "the deleted photo's prompt remains");
    }

    private bool FileContains(byte[] needle)
    {
        foreach (string file in new[] { Db.FilePath, Db.FilePath + "-wal" })
        {
            if (!File.Exists(file)) continue;
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            if (bytes.AsSpan().IndexOf(needle) >= 0) return true;
        }
        return false;
    }

    [Fact]
    public async Task Reading_an_inversion_reads_its_row_and_each_blob_alone()
    {
        var sample = Samples.Inversion();
        Guid id = await Store.AddInversionAsync(Owner, sample);

        string rowSql = Db.NewContext().Inversions.Where(i => i.Id == id).ToQueryString();
        Assert.DoesNotContain("InversionBlobs", rowSql);
        Assert.Equal(sample.Files.Latent, await Store.GetInversionBlobAsync(Owner, id, InversionBlobKind.Latent));
        Assert.Equal(sample.Files.CleanLatent, await Store.GetInversionBlobAsync(Owner, id, InversionBlobKind.CleanLatent));
        Assert.Equal(sample.Files.NoiseMaps, await Store.GetInversionBlobAsync(Owner, id, InversionBlobKind.NoiseMaps));
        Assert.Equal(sample.Files.InputPng, await Store.GetInversionImageAsync(Owner, id, InversionImage.Input));
        var stranger = await Store.CreateSessionAsync();
        Assert.Null(await Store.GetInversionBlobAsync(stranger, id, InversionBlobKind.Latent));
    }

    [Fact]
    public async Task Done_and_cancelled_jobs_drop_their_upload_failed_ones_keep_it_until_housekeeping()
    {
        var upload = Samples.Bytes(700, 7);
        Guid done = await Store.EnqueueInvertJobAsync(Owner, "{}", upload);
        Guid cancelled = await Store.EnqueueInvertJobAsync(Owner, "{}", upload);
        Guid failed = await Store.EnqueueInvertJobAsync(Owner, "{}", upload);
        Assert.True(await Store.MarkJobRunningAsync(Owner, done));
        Assert.Equal(JobCompletion.Stored, await Store.CompleteInvertJobAsync(Owner, done, Samples.Inversion()));
        Assert.True(await Store.MarkJobCancelledAsync(Owner, cancelled));
        Assert.True(await Store.MarkJobFailedAsync(Owner, failed, "boom"));

        Assert.Null(await Store.GetJobInputImageAsync(Owner, done));
        Assert.Null(await Store.GetJobInputImageAsync(Owner, cancelled));
        Assert.Equal(upload, await Store.GetJobInputImageAsync(Owner, failed));
        Assert.True((await Store.GetJobAsync(Owner, failed))!.HasUpload);
        Assert.False((await Store.GetJobAsync(Owner, done))!.HasUpload);

        Assert.Equal(0, await Store.DropFailedJobUploadsAsync(Db.Clock.GetUtcNow().UtcDateTime.AddHours(-24)));
        Db.Clock.Advance(TimeSpan.FromHours(25));
        Assert.Equal(1, await Store.DropFailedJobUploadsAsync(Db.Clock.GetUtcNow().UtcDateTime.AddHours(-24)));
        Assert.Null(await Store.GetJobInputImageAsync(Owner, failed));
        Assert.Equal("boom", (await Store.GetJobAsync(Owner, failed))!.Error);
    }

    [Fact]
    public async Task A_failed_job_submitted_again_becomes_a_new_queued_job_that_takes_its_upload()
    {
        var upload = Samples.Bytes(500, 5);
        Guid failed = await Store.EnqueueInvertJobAsync(Owner, """{"prompt":"x"}""", upload);
        Assert.True(await Store.MarkJobFailedAsync(Owner, failed, "the server restarted"));
        var stranger = await Store.CreateSessionAsync();
        Assert.Null(await Store.ResubmitFailedJobAsync(stranger, failed));

        Guid again = (await Store.ResubmitFailedJobAsync(Owner, failed))!.Value;

        var job = (await Store.GetJobAsync(Owner, again))!;
        Assert.Equal((JobKind.Invert, JobStatus.Queued, """{"prompt":"x"}"""), (job.Kind, job.Status, job.RequestJson));
        Assert.Equal(upload, await Store.GetJobInputImageAsync(Owner, again));
        Assert.Null(await Store.GetJobInputImageAsync(Owner, failed));
        Assert.Null(await Store.ResubmitFailedJobAsync(Owner, failed)); // its upload moved: nothing to submit twice
    }

    [Fact]
    public async Task Storing_a_result_and_marking_the_job_done_is_one_transaction()
    {
        Guid job = await Store.EnqueueInvertJobAsync(Owner, "{}", Samples.Bytes(10, 1));
        Assert.True(await Store.MarkJobRunningAsync(Owner, job));

        // The job row cannot be updated (full disk at that moment): the inversion must not stay behind.
        Db.Writes.OnlyWhenSqlContains = "\"Jobs\"";
        Db.Writes.Failing = true;
        await Assert.ThrowsAsync<SqliteException>(() => Store.CompleteInvertJobAsync(Owner, job, Samples.Inversion()));
        Db.Writes.Failing = false;
        Assert.Empty(await Store.ListInversionsAsync(Owner));
        await using (var check = Db.NewContext())
            Assert.Equal(0, await check.InversionBlobs.CountAsync());
        Assert.Equal(JobStatus.Running, (await Store.GetJobAsync(Owner, job))!.Status);

        // Cancelled meanwhile: nothing is stored.
        Assert.True(await Store.MarkJobCancelledAsync(Owner, job));
        Assert.Equal(JobCompletion.NotRunning, await Store.CompleteInvertJobAsync(Owner, job, Samples.Inversion()));
        Assert.Empty(await Store.ListInversionsAsync(Owner));

        Guid next = await Store.EnqueueInvertJobAsync(Owner, "{}", Samples.Bytes(10, 1));
        Assert.True(await Store.MarkJobRunningAsync(Owner, next));
        var sample = Samples.Inversion();
        Assert.Equal(JobCompletion.Stored, await Store.CompleteInvertJobAsync(Owner, next, sample));
        var done = (await Store.GetJobAsync(Owner, next))!;
        Assert.Equal((JobStatus.Done, sample.Row.Id), (done.Status, done.InversionId));
    }

    [Fact]
    public async Task An_edit_result_is_stored_with_its_job_marked_done_or_not_at_all()
    {
        Guid inversion = await Store.AddInversionAsync(Owner, Samples.Inversion());
        Guid job = (await Store.EnqueueEditJobAsync(Owner, inversion, "{}"))!.Value;
        Assert.True(await Store.MarkJobRunningAsync(Owner, job));
        var edit = Samples.Edit(inversion);

        Assert.Equal(JobCompletion.Stored, await Store.CompleteEditJobAsync(Owner, job, edit));
        var row = (await Store.GetJobAsync(Owner, job))!;
        Assert.Equal((JobStatus.Done, (Guid?)edit.Id), (row.Status, row.EditId));

        Guid other = (await Store.EnqueueEditJobAsync(Owner, inversion, "{}"))!.Value;
        Assert.True(await Store.MarkJobRunningAsync(Owner, other));
        var orphan = Samples.Edit(Guid.NewGuid());
        Assert.Equal(JobCompletion.InversionGone, await Store.CompleteEditJobAsync(Owner, other, orphan));
        Assert.Single(await Store.ListEditsAsync(Owner, inversion));
    }

    [Fact]
    public async Task The_health_probe_writes_and_fails_when_the_disk_is_full()
    {
        await Store.ProbeWriteAsync();
        await Store.ProbeWriteAsync();
        Db.Writes.Failing = true;
        var e = await Assert.ThrowsAsync<SqliteException>(() => Store.ProbeWriteAsync());
        Assert.Equal("the disk holding the database is full", StorageFailure.Describe(e));
    }
}
