extern alias worker;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine.Inversion;
using ReNoise.Jobs.Messages;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;
using ReNoise.Web.Tests.Integration;
using RunningJobs = worker::ReNoise.Worker.RunningJobs;

namespace ReNoise.Web.Tests.Distributed;

/// <summary>
/// The distributed mode end to end on real PostgreSQL and RabbitMQ (skipped without them, see
/// <see cref="ReNoise.TestSupport.ClusterServices"/>): two web nodes, one worker, the bundled demo model.
/// One class, so its tests share the deployment and run one after another.
/// </summary>
public sealed class DistributedModeTests(DistributedCluster cluster) : IClassFixture<DistributedCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static InversionSubmission Submission(int steps = 4, string prompt = "a photo of an astronaut")
    {
        var parameters = ConfiguredModelCatalog.DemoPreset.Parameters with { Width = 384, Height = 384, InversionSteps = steps };
        return new InversionSubmission(TestImages.Astronaut(), "astronaut.png", prompt, "demo-sd-turbo", parameters);
    }

    [SkippableFact]
    public async Task A_job_submitted_on_one_web_node_runs_on_the_worker_and_its_progress_reaches_the_other_node()
    {
        await cluster.StartAsync();
        Guid owner = await cluster.A.Store.CreateSessionAsync();
        var seenOnB = new ConcurrentQueue<JobProgress>();

        // Long regularization (no more model calls): the run lasts long enough for its Inverting reports to be
        // sent, which a 0.1 s job on a quiet machine coalesces into its last state.
        var submission = Submission();
        submission = submission with { Parameters = submission.Parameters with { RegularizationSteps = 100, AcRolls = 100 } };
        var submitted = await cluster.A.Queue.SubmitInversionAsync(owner, submission);
        Assert.Null(submitted.Error);
        Guid job = submitted.JobId!.Value;
        using (cluster.B.Hub.Subscribe(job, seenOnB.Enqueue))
        {
            var row = await cluster.WaitForJobAsync(owner, job, Timeout, JobStatus.Done, JobStatus.Failed);
            Assert.True(row.Status == JobStatus.Done, row.Error);
            Assert.Equal((1, "demo-sd-turbo"), (row.Attempts, row.Model));
            await Waiting.UntilAsync(() => cluster.B.Hub.Get(job)?.Phase == JobPhase.Done, Timeout, "node B to see the job done");
        }

        // Node B, which neither admitted nor ran the job, followed it: model calls while it ran, then its result.
        Assert.Contains(seenOnB, p => p.Phase is JobPhase.Inverting or JobPhase.Reconstructing && p.Nfe > 0 && p.ExpectedNfe == 40);
        var done = cluster.B.Hub.Get(job)!;
        var inversion = Assert.Single(await cluster.B.Store.ListInversionsAsync(owner));
        Assert.Equal(inversion.Id, done.InversionId);
        Assert.Equal(40, inversion.Nfe);

        // Health per dependency: the database and the broker on a web node; the models too on the worker.
        using var web = cluster.B.CreateClient();
        string health = await web.GetStringAsync("/healthz");
        Assert.Contains("\"masstransit-bus\":{\"status\":\"Healthy\"", health);
        Assert.Contains("\"database\":{\"status\":\"Healthy\"", health);
        using var worker = cluster.Worker.CreateClient();
        string workerHealth = await worker.GetStringAsync("/healthz");
        Assert.Contains("\"models\":{\"status\":\"Healthy\",\"description\":\"models ready: demo-sd-turbo\"}", workerHealth);
    }

    [SkippableFact]
    public async Task The_session_quota_holds_across_web_nodes_and_a_cancel_on_another_node_stops_the_job_on_the_worker()
    {
        await cluster.StartAsync();
        Guid owner = await cluster.A.Store.CreateSessionAsync();
        var running = cluster.Worker.Services.GetRequiredService<RunningJobs>();

        // Three long jobs through node A (500 steps: still running when the fourth comes, even on a quiet machine): the first runs, two wait.
        var jobs = new List<Guid>();
        for (int i = 0; i < 3; i++)
        {
            var result = await cluster.A.Queue.SubmitInversionAsync(owner, Submission(steps: 500, prompt: $"long job {i}"));
            Assert.Null(result.Error);
            jobs.Add(result.JobId!.Value);
        }
        // A fourth through node B is refused: the quota is counted in the shared database, not per node.
        var refused = await cluster.B.Queue.SubmitInversionAsync(owner, Submission(prompt: "one too many"));
        Assert.Null(refused.JobId);
        Assert.Equal("You already have 3 jobs queued or running, the most one session may have; nothing was queued. Wait for one to finish, or cancel one.", refused.Error);

        // The first is running on the worker, with model calls made (seen through node B).
        await Waiting.UntilAsync(() => cluster.B.Hub.Get(jobs[0]) is { Nfe: > 0 } && running.Ids.Contains(jobs[0]), Timeout, "the first job to run on the worker");
        // The waiting ones are cancelled through node A: the worker skips their messages when it reaches them.
        Assert.True(await cluster.A.Queue.CancelAsync(owner, jobs[1]));
        Assert.True(await cluster.A.Queue.CancelAsync(owner, jobs[2]));
        // The running one is cancelled through node B: the cancellation reaches the worker, which stops it.
        Assert.True(await cluster.B.Queue.CancelAsync(owner, jobs[0]));
        await Waiting.UntilAsync(() => running.Ids.Count == 0, TimeSpan.FromSeconds(30), "the worker to stop the job");
        await Waiting.UntilAsync(() => cluster.A.Hub.Get(jobs[0])?.Phase == JobPhase.Cancelled, Timeout, "node A to see it cancelled");

        foreach (var id in jobs)
        {
            var row = (await cluster.B.Store.GetJobAsync(owner, id))!;
            Assert.Equal(JobStatus.Cancelled, row.Status);
            if (id != jobs[0]) Assert.Equal(0, row.Attempts); // never started
        }
        Assert.Empty(await cluster.A.Store.ListInversionsAsync(owner));
        // The quota is free again, through either node.
        var again = await cluster.B.Queue.SubmitInversionAsync(owner, Submission(prompt: "after the cancel"));
        Assert.Null(again.Error);
        Assert.Equal(JobStatus.Done, (await cluster.WaitForJobAsync(owner, again.JobId!.Value, Timeout, JobStatus.Done, JobStatus.Failed)).Status);
    }

    [SkippableFact]
    public async Task A_job_delivered_again_after_its_worker_died_is_finished_once()
    {
        await cluster.StartAsync();
        Guid owner = await cluster.A.Store.CreateSessionAsync();
        // A job a worker claimed and then died with: its row says Running, attempt 1; the broker delivers it again.
        var admitted = await cluster.A.Store.AdmitJobAsync(owner, new JobToAdmit(JobKind.Invert, "demo-sd-turbo")
        {
            RequestJson = JobJson.Write(new InvertJobRequest("demo-sd-turbo", "taken over", "astronaut.png", Submission().Parameters)),
            Upload = TestImages.Astronaut(),
        }, null);
        Guid orphan = admitted.JobId!.Value;
        Assert.Equal(ClaimOutcome.Claimed, (await cluster.A.Store.ClaimJobAsync(owner, orphan, false, DistributedCluster.MaxAttempts, "x")).Outcome);

        await cluster.A.SendAsync(new RunJob(orphan, owner, JobKind.Invert, "demo-sd-turbo", 40, Orphaned: true));
        var taken = await cluster.WaitForJobAsync(owner, orphan, Timeout, JobStatus.Done, JobStatus.Failed);
        Assert.True(taken.Status == JobStatus.Done, taken.Error);
        Assert.Equal(2, taken.Attempts);

        // The same message again, as a duplicate and as a redelivery: the job is done, nothing runs or is stored again.
        await cluster.A.SendAsync(new RunJob(orphan, owner, JobKind.Invert, "demo-sd-turbo", 40));
        await cluster.B.SendAsync(new RunJob(orphan, owner, JobKind.Invert, "demo-sd-turbo", 40, Orphaned: true));
        // A job sent after them has run when they have been consumed (one queue, one worker, in order).
        var marker = await cluster.B.Queue.SubmitInversionAsync(owner, Submission(prompt: "marker"));
        await cluster.WaitForJobAsync(owner, marker.JobId!.Value, Timeout, JobStatus.Done);

        var gallery = await cluster.A.Store.ListInversionsAsync(owner);
        Assert.Equal(["taken over", "marker"], gallery.OrderBy(i => i.CreatedAt).Select(i => i.Prompt)); // the taken-over job once
        var after = (await cluster.A.Store.GetJobAsync(owner, orphan))!;
        Assert.Equal((JobStatus.Done, 2, taken.InversionId), (after.Status, after.Attempts, after.InversionId));
    }

    [SkippableFact]
    public async Task A_job_whose_workers_kept_dying_fails_with_the_reason_after_the_attempt_limit()
    {
        await cluster.StartAsync();
        Guid owner = await cluster.A.Store.CreateSessionAsync();
        var seenOnB = new ConcurrentQueue<JobProgress>();
        var admitted = await cluster.A.Store.AdmitJobAsync(owner, new JobToAdmit(JobKind.Invert, "demo-sd-turbo")
        {
            RequestJson = JobJson.Write(new InvertJobRequest("demo-sd-turbo", "a photo", "astronaut.png", Submission().Parameters)),
            Upload = TestImages.Astronaut(),
        }, null);
        Guid job = admitted.JobId!.Value;
        // Two workers claimed it and died.
        for (int i = 0; i < DistributedCluster.MaxAttempts; i++)
            Assert.Equal(ClaimOutcome.Claimed, (await cluster.A.Store.ClaimJobAsync(owner, job, true, DistributedCluster.MaxAttempts, "x")).Outcome);

        using (cluster.B.Hub.Subscribe(job, seenOnB.Enqueue))
        {
            await cluster.B.SendAsync(new RunJob(job, owner, JobKind.Invert, "demo-sd-turbo", 40, Orphaned: true));
            var failed = await cluster.WaitForJobAsync(owner, job, Timeout, JobStatus.Failed, JobStatus.Done);
            Assert.Equal(JobStatus.Failed, failed.Status);
            Assert.Equal(ReNoise.Jobs.JobRunner.AttemptsExhaustedMessage(DistributedCluster.MaxAttempts), failed.Error);
            await Waiting.UntilAsync(() => seenOnB.Any(p => p.Phase == JobPhase.Failed), Timeout, "node B to see the failure");
        }
        Assert.True(seenOnB.Last(p => p.Phase == JobPhase.Failed).CanResubmit);
        Assert.Empty(await cluster.A.Store.ListInversionsAsync(owner));
    }
}
