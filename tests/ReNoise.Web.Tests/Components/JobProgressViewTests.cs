using Bunit;
using ReNoise.Data.Entities;
using ReNoise.Web.Components.Shared;
using ReNoise.Web.Jobs;

namespace ReNoise.Web.Tests.Components;

public sealed class JobProgressViewTests : StudioTestContext
{
    public JobProgressViewTests() => AsCircuit();

    private static JobProgress Job(JobPhase phase) => new()
    {
        JobId = Guid.NewGuid(), OwnerId = Guid.NewGuid(), Kind = JobKind.Invert, Phase = phase,
    };

    private static string Text(IRenderedComponent<JobProgressView> view, string testId) =>
        view.Find($"[data-testid={testId}]").TextContent.Trim();

    [Fact]
    public void A_queued_job_shows_its_place_in_the_queue_and_an_indeterminate_bar()
    {
        var view = Render<JobProgressView>(p => p.Add(x => x.Progress, Job(JobPhase.Queued) with { QueuePosition = 3 }));

        Assert.Equal("Position 3 in the queue", Text(view, "queue-position"));
        Assert.Equal("Queued", Text(view, "job-phase"));
        Assert.Contains("mud-progress-indeterminate", view.Find("[data-testid=job-progress]").OuterHtml);
        Assert.Equal("–", Text(view, "job-step"));

        view.Render(p => p.Add(x => x.Progress, Job(JobPhase.Queued) with { QueuePosition = 1 }));
        Assert.Equal("Next in the queue", Text(view, "queue-position"));
    }

    [Fact]
    public void A_running_inversion_shows_step_iteration_calls_times_and_the_latent_preview()
    {
        byte[] preview = [0xFF, 0xD8, 0xFF, 0xE0];
        var progress = Job(JobPhase.Inverting) with
        {
            Step = 2, StepCount = 4, Iteration = 5, Iterations = 9, Nfe = 12, ExpectedNfe = 40,
            Elapsed = TimeSpan.FromSeconds(3), PreviewPng = preview, PreviewStep = 1,
        };
        int cancels = 0;
        var view = Render<JobProgressView>(p => p.Add(x => x.Progress, progress).Add(x => x.OnCancel, () => cancels++));

        Assert.Equal("2 / 4", Text(view, "job-step"));
        Assert.Equal("5 / 9", Text(view, "job-iteration"));
        Assert.Equal("12 / 40", Text(view, "job-nfe"));
        Assert.Equal("3.0 s", Text(view, "job-elapsed"));
        Assert.Equal("≈ 7.0 s", Text(view, "job-remaining")); // 3 s for 12 calls, 28 to go
        Assert.Equal("30", view.Find("[data-testid=job-progress]").GetAttribute("data-value"));
        Assert.Equal("data:image/jpeg;base64," + Convert.ToBase64String(preview), view.Find("[data-testid=job-preview]").GetAttribute("src"));
        Assert.Contains("after step 1 of 4", Text(view, "job-preview-caption"));
        Assert.Empty(view.FindAll("[data-testid=queue-position]"));

        view.Find("[data-testid=job-cancel]").Click();
        Assert.Equal(1, cancels);
    }

    [Fact]
    public void A_failed_job_shows_its_error_and_no_cancel_button()
    {
        var view = Render<JobProgressView>(p => p
            .Add(x => x.Progress, Job(JobPhase.Failed) with { Error = "the inversion diverged at timestep 999", Nfe = 11, ExpectedNfe = 44 })
            .Add(x => x.OnCancel, () => { }));

        Assert.Equal("the inversion diverged at timestep 999", Text(view, "job-error"));
        Assert.Equal("Failed", Text(view, "job-phase"));
        Assert.Empty(view.FindAll("[data-testid=job-cancel]"));
        Assert.Equal("–", Text(view, "job-remaining"));
    }

    [Fact]
    public void An_edit_job_shows_denoising_steps_without_renoise_iterations_or_preview()
    {
        var progress = Job(JobPhase.Denoising) with { Kind = JobKind.Edit, Step = 3, StepCount = 4, Nfe = 3, ExpectedNfe = 4 };
        var view = Render<JobProgressView>(p => p.Add(x => x.Progress, progress).Add(x => x.ShowPreview, false));

        Assert.Equal("3 / 4", Text(view, "job-step"));
        Assert.Empty(view.FindAll("[data-testid=job-iteration]"));
        Assert.Empty(view.FindAll("[data-testid=job-preview]"));
        Assert.Equal("75", view.Find("[data-testid=job-progress]").GetAttribute("data-value"));
    }

    [Theory]
    [InlineData(JobPhase.Reconstructing)]
    [InlineData(JobPhase.Saving)]
    [InlineData(JobPhase.Inverting)] // a long regularization: minutes between two model calls
    public void The_elapsed_time_goes_on_between_the_engines_reports(JobPhase phase)
    {
        var progress = Job(phase) with { Step = 4, StepCount = 4, Nfe = 40, ExpectedNfe = 44, Elapsed = TimeSpan.FromSeconds(12) };
        var view = Render<JobProgressView>(p => p.Add(x => x.Progress, progress));
        Assert.Equal("12 s", Text(view, "job-elapsed"));

        Clock.Advance(TimeSpan.FromSeconds(3));
        view.WaitForAssertion(() => Assert.Equal("15 s", Text(view, "job-elapsed")));
        Clock.Advance(TimeSpan.FromSeconds(60));
        view.WaitForAssertion(() => Assert.Equal("1 min 15 s", Text(view, "job-elapsed")));

        // A later report that was measured a moment before it arrived does not move the clock back.
        view.Render(p => p.Add(x => x.Progress, progress with { Elapsed = TimeSpan.FromSeconds(74) }));
        Assert.Equal("1 min 15 s", Text(view, "job-elapsed"));
    }

    [Fact]
    public void A_finished_job_shows_the_time_it_took_and_stops_ticking()
    {
        var view = Render<JobProgressView>(p => p.Add(x => x.Progress, Job(JobPhase.Done) with { Elapsed = TimeSpan.FromSeconds(20), Nfe = 44, ExpectedNfe = 44 }));
        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("20 s", Text(view, "job-elapsed"));
    }

    [Fact]
    public void A_queued_job_says_when_it_starts_or_that_the_estimate_is_coming()
    {
        var view = Render<JobProgressView>(p => p.Add(x => x.Progress, Job(JobPhase.Queued) with { QueuePosition = 2, EstimatedWait = TimeSpan.FromSeconds(42) }));
        Assert.Equal("starts in about 42 s", Text(view, "queue-wait"));

        view.Render(p => p.Add(x => x.Progress, Job(JobPhase.Queued) with { QueuePosition = 1 }));
        Assert.Equal("estimating the wait: the job ahead is still loading the model", Text(view, "queue-wait"));
    }
}
