using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;
using SixLabors.ImageSharp;

namespace ReNoise.Web.Tests.Integration;

/// <summary>Jobs through the real queue and worker, on the bundled demo model (with room for a long job to cancel).</summary>
public sealed class JobFlowTests(LongJobsStudioFactory factory) : IClassFixture<LongJobsStudioFactory>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private JobQueue Queue => factory.Services.GetRequiredService<JobQueue>();
    private JobProgressHub Hub => factory.Services.GetRequiredService<JobProgressHub>();

    private static InversionSubmission Submission(byte[]? image = null, string prompt = "a photo of an astronaut",
        Func<InversionParameters, InversionParameters>? change = null)
    {
        var parameters = ConfiguredModelCatalog.DemoPreset.Parameters with { Width = 384, Height = 384 };
        return new InversionSubmission(image ?? TestImages.Astronaut(), "astronaut.png", prompt, "demo-sd-turbo", change?.Invoke(parameters) ?? parameters);
    }

    [Fact]
    public async Task An_inversion_on_the_demo_model_runs_to_done_with_live_progress_and_an_edit_reuses_it()
    {
        var (browser, owner) = await factory.NewBrowserAsync();
        var seen = new ConcurrentQueue<JobProgress>();

        var submitted = await Queue.SubmitInversionAsync(owner, Submission());
        Assert.Null(submitted.Error);
        Guid jobId = submitted.JobId!.Value;
        using (Hub.Subscribe(jobId, seen.Enqueue))
        {
            var job = await Waiting.ForJobAsync(factory, owner, jobId, Timeout, JobStatus.Done, JobStatus.Failed);
            Assert.True(job.Status == JobStatus.Done, job.Error);
            Assert.NotNull(job.InversionId);
        }

        // The row is marked first, the live state right after: wait for both.
        await Waiting.UntilAsync(() => Hub.Get(jobId)?.Phase == JobPhase.Done, Timeout, "the live state to say done");
        var done = Hub.Get(jobId)!;
        Assert.Equal(JobPhase.Done, done.Phase);
        var row = (await factory.WithStoreAsync(s => s.GetInversionAsync(owner, done.InversionId!.Value)))!;
        Assert.Equal("demo-sd-turbo", row.ModelName);
        Assert.Equal("euler-ancestral", row.SchedulerName);
        Assert.Equal("1,4,48,48", row.LatentShape);
        Assert.Equal("4,1,4,48,48", row.NoiseShape);
        Assert.Equal(40, row.Nfe);
        // The demo's VAE keeps 48x48 detail: exact noise correction reconstructs close to that limit.
        Assert.InRange(row.Psnr!.Value, 17, 40);
        using (var reconstruction = Image.Load((await factory.WithStoreAsync(s => s.GetInversionImageAsync(owner, row.Id, InversionImage.Reconstruction)))!))
            Assert.Equal((384, 384), (reconstruction.Width, reconstruction.Height));

        // Every live snapshot agreed on the job's cost (intermediate ones may be skipped when the
        // progress writer is behind a job this short; the next test watches a longer one).
        Assert.All(seen.ToArray(), p => Assert.Equal(40, p.ExpectedNfe == 0 ? 40 : p.ExpectedNfe));

        using (var page = await browser.GetAsync($"/inversions/{row.Id}"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("a photo of an astronaut", await page.Content.ReadAsStringAsync());
        }

        var edit = await Queue.SubmitEditAsync(owner, row.Id, "a photo of an astronaut in a red suit", 3.0);
        Assert.Null(edit.Error);
        var editJob = await Waiting.ForJobAsync(factory, owner, edit.JobId!.Value, Timeout, JobStatus.Done, JobStatus.Failed);
        Assert.True(editJob.Status == JobStatus.Done, editJob.Error);
        var edits = await factory.WithStoreAsync(s => s.ListEditsAsync(owner, row.Id));
        var summary = Assert.Single(edits);
        Assert.Equal(editJob.EditId, summary.Id);
        Assert.Equal(4, summary.Nfe); // denoising only: one call per timestep, no re-inversion
        Assert.Equal(3.0, summary.Guidance);
        var stored = await factory.WithStoreAsync(s => s.GetEditAsync(owner, summary.Id));
        using var editImage = Image.Load(stored!.ImagePng);
        Assert.Equal((384, 384), (editImage.Width, editImage.Height));
    }

    [Fact]
    public async Task Progress_reaches_the_page_while_an_inversion_runs_with_counts_and_decoded_previews()
    {
        var (_, owner) = await factory.NewBrowserAsync();
        var seen = new ConcurrentQueue<JobProgress>();
        // 30 steps: long enough (over 300 model calls) that the progress writer publishes mid-run even on a busy machine.
        var submitted = await Queue.SubmitInversionAsync(owner, Submission(change: p => p with { InversionSteps = 30 }));
        Guid jobId = submitted.JobId!.Value;
        using (Hub.Subscribe(jobId, seen.Enqueue))
        {
            var job = await Waiting.ForJobAsync(factory, owner, jobId, Timeout, JobStatus.Done, JobStatus.Failed);
            Assert.True(job.Status == JobStatus.Done, job.Error);
            await Waiting.UntilAsync(() => seen.Any(p => p.Phase == JobPhase.Done), Timeout, "the live state to say done");
        }

        var snapshots = seen.ToArray();
        int expected = snapshots.First(p => p.Phase == JobPhase.Inverting).ExpectedNfe;
        Assert.Contains(snapshots, p => p.Phase == JobPhase.Inverting && p.Nfe > 0 && p.Nfe < expected);
        Assert.Contains(snapshots, p => p.Iterations == 9 && p.Iteration > 0);
        Assert.Contains(snapshots, p => p.PreviewPng is not null && p.PreviewStep >= 1);
        // Model calls only ever go up, in the order they were made.
        var calls = snapshots.Where(p => p.Phase != JobPhase.Queued).Select(p => p.Nfe).ToList();
        Assert.Equal(calls.Order(), calls);
        Assert.Null(snapshots[^1].PreviewPng); // the final state keeps no preview
    }

    [Fact]
    public async Task Bad_input_is_refused_with_a_message_and_nothing_is_stored_or_queued()
    {
        var (_, owner) = await factory.NewBrowserAsync();
        (InversionSubmission Submission, string Message)[] cases =
        [
            (Submission(TestImages.Text()), "is not a readable image"),
            (Submission(TestImages.TruncatedPng()), "is not a readable image"),
            (Submission(TestImages.TooWide()), "the limit is 8192"),
            (Submission(new byte[UploadOptions.DefaultMaxBytes + 1]), "uploads are limited to 20 MB"),
            (Submission(prompt: "   "), "source prompt is empty"),
            (Submission(change: p => p with { InversionSteps = 0 }), "Inversion steps N must be at least 1"),
            (Submission(change: p => p with { LambdaKl = -1 }), "λ KL must be a number from 0 to 100"),
            (Submission(change: p => p with { Strength = 0.1 }), "inverts none of the 4 timesteps"),
            (Submission(change: p => p with { AverageOtherSteps = new AveragingWindow(6, 6) }), "must start before it ends"),
        ];
        int waitingBefore = Queue.WaitingCount;
        foreach (var (submission, message) in cases)
        {
            var result = await Queue.SubmitInversionAsync(owner, submission);
            Assert.Null(result.JobId);
            Assert.Contains(message, result.Error);
        }
        Assert.Empty(await factory.WithStoreAsync(s => s.ListRecentJobsAsync(owner, 50)));
        Assert.Empty(await factory.WithStoreAsync(s => s.ListInversionsAsync(owner)));
        Assert.Equal(waitingBefore, Queue.WaitingCount);
    }

    [Fact]
    public async Task A_failing_job_records_its_error_and_leaves_the_gallery_as_it_was()
    {
        var (_, owner) = await factory.NewBrowserAsync();
        Guid existing = await factory.WithStoreAsync(s => s.AddInversionAsync(owner, TestServices.Inversion("an earlier inversion")));

        // The demo's closed-form UNet makes the LCM sampler's inversion blow up: the engine stops with a message.
        var submitted = await Queue.SubmitInversionAsync(owner, Submission(change: p => p with { Scheduler = "lcm" }));
        var job = await Waiting.ForJobAsync(factory, owner, submitted.JobId!.Value, Timeout, JobStatus.Done, JobStatus.Failed);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("the inversion diverged at timestep", job.Error);
        Assert.Contains("λ AC", job.Error); // the engine's option names, in the page's words
        await Waiting.UntilAsync(() => Hub.Get(job.Id)?.Phase == JobPhase.Failed, Timeout, "the live state to say failed");
        Assert.Equal(job.Error, Hub.Get(job.Id)!.Error);
        var gallery = await factory.WithStoreAsync(s => s.ListInversionsAsync(owner));
        Assert.Equal([existing], gallery.Select(i => i.Id));
    }

    [Fact]
    public async Task Cancel_stops_a_running_inversion_within_a_few_model_calls_and_saves_nothing()
    {
        var (_, owner) = await factory.NewBrowserAsync();
        // A long job (200 steps), cancelled from the progress callback itself right after its third
        // model call: the test thread's timing on a loaded machine cannot let the job finish first.
        var submitted = await Queue.SubmitInversionAsync(owner, Submission(change: p => p with { InversionSteps = 200, RenoiseSteps = 9 }));
        Guid jobId = submitted.JobId!.Value;
        Task<bool>? cancel = null;
        int atCancel = 0;
        using (Hub.Subscribe(jobId, p =>
        {
            if (cancel is null && p.Phase == JobPhase.Inverting && p.Nfe >= 3)
            {
                atCancel = p.Nfe;
                cancel = Queue.CancelAsync(owner, jobId);
            }
        }))
        {
            await Waiting.UntilAsync(() => cancel is not null, Timeout, "the job to make model calls");
            bool cancelled = await cancel!;
            if (!cancelled)
            {
                var state = await factory.WithStoreAsync(s => s.GetJobAsync(owner, jobId));
                Assert.Fail($"cancel refused: the job is {state?.Status} ({state?.Error}); live phase {Hub.Get(jobId)?.Phase}, running {Queue.IsRunning(jobId)}");
            }
        }
        var job = await Waiting.ForJobAsync(factory, owner, jobId, TimeSpan.FromSeconds(20), JobStatus.Cancelled, JobStatus.Done, JobStatus.Failed);

        Assert.Equal(JobStatus.Cancelled, job.Status);
        await Waiting.UntilAsync(() => Hub.Get(jobId)?.Phase == JobPhase.Cancelled, Timeout, "the live state to say cancelled");
        var last = Hub.Get(jobId)!;
        Assert.Equal(JobPhase.Cancelled, last.Phase);
        // Progress reaches the page off the inference thread, so the engine may be a few calls past the
        // snapshot the cancel reacted to; then the call in flight finishes and no further one starts.
        Assert.InRange(last.Nfe, atCancel, atCancel + 10);
        Assert.True(last.Nfe < last.ExpectedNfe);
        Assert.Empty(await factory.WithStoreAsync(s => s.ListInversionsAsync(owner)));
        await Waiting.UntilAsync(() => !Queue.IsRunning(jobId), Timeout, "the queue to let the job go");
    }
}
