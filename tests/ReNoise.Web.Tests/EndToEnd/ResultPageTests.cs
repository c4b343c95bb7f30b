using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ReNoise.Web.Tests.EndToEnd;

/// <summary>
/// An inversion from upload to result, and what its result page offers: live progress with a clock
/// that keeps ticking, the edit large against the input or the reconstruction, zoom and download,
/// several target prompts at once, the guidance slider with its range, the demo's honesty note.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class ResultPageTests(StudioApp app)
{
    [Theory]
    [MemberData(nameof(Viewports.Both), MemberType = typeof(Viewports))]
    public async Task An_inversion_shows_its_progress_live_then_its_result(string viewport)
    {
        var watch = app.Watch();
        var page = await (await app.ContextAsync(viewport)).NewPageAsync();
        await page.OpenStudioAsync();
        await page.UploadAsync(Browsing.Photo());
        await page.Locator("#prompt-input").FillAsync("an astronaut, step by step");
        await page.OpenAdvancedAsync();
        await page.EnterAsync("#param-steps", "24");
        // Stronger regularization: steps slow enough to be seen on a fast machine.
        await page.EnterAsync("#param-reg-steps", "100");
        await page.Locator("#submit-inversion").ClickAsync();

        // The job page: the step count advances before the result takes over.
        await page.WaitForURLAsync(new Regex("/(jobs|inversions)/"), new() { WaitUntil = WaitUntilState.Commit });
        var steps = new List<int>();
        bool audited = false;
        while (!page.Url.Contains("/inversions/"))
        {
            // Read at once, in the page: the job page may give way to the result at any moment.
            string? text;
            try
            {
                text = await page.EvaluateAsync<string?>("() => document.querySelector('[data-testid=job-step]')?.innerText ?? null");
            }
            catch (PlaywrightException)
            {
                text = null; // the page navigated meanwhile
            }
            if (text is not null && Regex.Match(text, @"(\d+)\s*/\s*24") is { Success: true } m)
            {
                int step = int.Parse(m.Groups[1].Value);
                if (steps.Count == 0 || steps[^1] != step) steps.Add(step);
                if (!audited && steps.Count >= 2)
                {
                    audited = true;
                    await app.ShotAsync(page, "job", viewport);
                }
            }
            await Task.Delay(50);
        }
        Assert.True(steps.Count >= 2 && steps[^1] > steps[0], $"progress did not advance: saw steps [{string.Join(", ", steps)}]");

        // The result: input and reconstruction on a slider, metrics, the model's family in words.
        await Assertions.Expect(page.ByTestId("result-reconstruction")).ToBeVisibleAsync();
        await Assertions.Expect(page.ByTestId("result-input")).ToBeVisibleAsync();
        await Assertions.Expect(page.ByTestId("metric-psnr")).ToContainTextAsync(new Regex(@"\d+\.\d+"));
        await Assertions.Expect(page.ByTestId("inversion-family")).ToHaveTextAsync("SD 2.x");
        await PageAudit.AssertAsync(page, "the result page");
        await app.ShotAsync(page, "result", viewport);
        await page.CloseAsync();
        await watch.AssertCleanAsync();
    }

    [Fact]
    public async Task A_running_job_keeps_its_clock_ticking_and_a_queued_one_says_when_it_starts()
    {
        var watch = app.Watch();
        // A session of its own: the shared one's quota may still hold other tests' edits.
        await using var context = await app.NewContextAsync(Viewports.Desktop);
        var running = await context.NewPageAsync();
        // A long job: every model call the budget allows, and long regularization between the engine's reports.
        await running.OpenStudioAsync();
        await running.UploadAsync(Browsing.Photo());
        await running.Locator("#prompt-input").FillAsync("a long job");
        await running.OpenAdvancedAsync();
        await running.EnterAsync("#param-steps", "36");
        await running.EnterAsync("#param-reg-steps", "100");
        await running.EnterAsync("#param-ac-rolls", "100");
        await running.SubmitJobAsync();
        await Assertions.Expect(running.ByTestId("job-step")).ToBeVisibleAsync();

        // The clock ticks between the engine's reports.
        var elapsed = new HashSet<string>();
        for (int i = 0; i < 12 && elapsed.Count < 3; i++)
        {
            elapsed.Add(await running.ByTestId("job-elapsed").InnerTextAsync());
            await Task.Delay(500);
        }
        Assert.True(elapsed.Count >= 3, $"the elapsed time did not tick: [{string.Join(", ", elapsed)}]");

        // A second job waits behind it (one job of a model at a time) and says when it starts.
        var queued = await context.NewPageAsync();
        await queued.OpenStudioAsync();
        await queued.UploadAsync(Browsing.Photo());
        await queued.Locator("#prompt-input").FillAsync("a queued job");
        await queued.SubmitJobAsync();
        await Assertions.Expect(queued.ByTestId("queue-position")).ToHaveTextAsync("Next in the queue");
        await Assertions.Expect(queued.ByTestId("queue-wait")).ToContainTextAsync(new Regex(@"starts in (about \d|a moment)"));
        await PageAudit.AssertAsync(queued, "a queued job");
        await app.ShotAsync(queued, "job-queued", Viewports.Desktop);

        // Both cancelled: the studio's recent jobs say so in chips that keep their contrast.
        await queued.ByTestId("job-cancel").ClickAsync();
        await Assertions.Expect(queued.ByTestId("job-cancelled")).ToBeVisibleAsync();
        await running.ByTestId("job-cancel").ClickAsync();
        await Assertions.Expect(running.ByTestId("job-cancelled")).ToBeVisibleAsync();
        await running.OpenStudioAsync();
        await Assertions.Expect(running.Locator("[data-testid=recent-job][data-status=Cancelled]")).ToHaveCountAsync(2);
        await PageAudit.AssertAsync(running, "the studio with cancelled jobs");
        await running.CloseAsync();
        await queued.CloseAsync();
        await watch.AssertCleanAsync();
    }

    [Fact]
    public async Task More_target_prompts_than_the_session_quota_wait_on_the_page_and_all_run()
    {
        var watch = app.Watch();
        // A session of its own, so that the quota (3 jobs queued or running) is this test's alone.
        await using var context = await app.NewContextAsync(Viewports.Desktop);
        var page = await context.NewPageAsync();
        await page.InvertAsync("an astronaut");

        var prompts = Enumerable.Range(1, 5).Select(i => $"an astronaut, take {i}").ToList();
        await page.Locator("#edit-prompt").FillAsync(prompts[0]);
        for (int i = 1; i < prompts.Count; i++)
        {
            await page.ByTestId("edit-prompt-add").ClickAsync();
            await page.Locator($"#edit-prompt-{i + 1}").FillAsync(prompts[i]);
        }
        await Assertions.Expect(page.Locator("#edit-submit")).ToHaveTextAsync("Run 5 edits");
        await page.Locator("#edit-submit").ClickAsync();
        // Three start at once; the other two go as slots free, with no refusal shown.
        foreach (string prompt in prompts)
            await Assertions.Expect(page.ByTestId("edit-item").Filter(new() { HasText = prompt })).ToHaveCountAsync(1, new() { Timeout = 90_000 });
        Assert.DoesNotContain("jobs queued or running", await page.TextAsync());
        await watch.AssertCleanAsync();
    }

    [Theory]
    [MemberData(nameof(Viewports.Both), MemberType = typeof(Viewports))]
    public async Task Several_edits_run_at_once_and_the_chosen_one_is_shown_large_compared_zoomed_downloaded_and_shared(string viewport)
    {
        var watch = app.Watch();
        var context = await app.ContextAsync(viewport);
        var page = await context.NewPageAsync();
        await page.GotoInteractiveAsync(await app.InversionAsync(viewport));

        // The demo model says that its edits cannot follow a prompt.
        await Assertions.Expect(page.ByTestId("demo-honesty")).ToContainTextAsync("ignores what a prompt means");
        // Edit guidance on a slider, its range shown.
        await Assertions.Expect(page.ByTestId("edit-guidance-range").Locator("span")).ToHaveTextAsync(["0", "30"]);
        string before = await page.ByTestId("edit-guidance-value").InnerTextAsync();
        await page.ByTestId("edit-guidance").Locator("input[type=range]").FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        string after = (double.Parse(before, System.Globalization.CultureInfo.InvariantCulture) + 0.5).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        await Assertions.Expect(page.ByTestId("edit-guidance-value")).ToHaveTextAsync(after);

        // Two target prompts, one row each, run as two edits.
        string painting = $"a painting of an astronaut ({viewport})", snow = $"an astronaut in the snow ({viewport})";
        await page.Locator("#edit-prompt").FillAsync(painting);
        await page.ByTestId("edit-prompt-add").ClickAsync();
        await page.Locator("#edit-prompt-2").FillAsync(snow);
        await Assertions.Expect(page.ByTestId("edit-prompt-row")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#edit-submit")).ToHaveTextAsync("Run 2 edits");
        await page.Locator("#edit-submit").ClickAsync();
        var paintingItem = page.ByTestId("edit-item").Filter(new() { HasText = painting });
        await Assertions.Expect(paintingItem).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Assertions.Expect(page.ByTestId("edit-item").Filter(new() { HasText = snow })).ToHaveCountAsync(1, new() { Timeout = 60_000 });

        // The chosen edit, large, against the input on a before/after slider.
        await paintingItem.GetByTestId("edit-view").ClickAsync();
        var viewer = page.ByTestId("edit-viewer");
        await Assertions.Expect(viewer.ByTestIdIn("edit-viewer-prompt")).ToContainTextAsync(painting);
        var compare = viewer.ByTestIdIn("compare-slider");
        await Assertions.Expect(viewer.ByTestIdIn("compare-before")).ToHaveAttributeAsync("src", new Regex("/input\\.png$"));
        await Assertions.Expect(viewer.ByTestIdIn("compare-after")).ToHaveAttributeAsync("src", new Regex("/api/edits/[0-9a-f-]{36}/image\\.png$"));
        var viewerBox = (await viewer.BoundingBoxAsync())!;
        var compareBox = (await compare.BoundingBoxAsync())!;
        Assert.True(compareBox.Width >= viewerBox.Width * 0.9 && compareBox.Width >= 300, $"the edit is {compareBox.Width} px wide in a {viewerBox.Width} px viewer");
        await viewer.ByTestIdIn("compare-range").FillAsync("30");
        Assert.Equal("30%", await compare.EvaluateAsync<string>("e => getComputedStyle(e).getPropertyValue('--pos').trim()"));
        await PageAudit.AssertAsync(page, "the result page with an edit");
        await app.ShotAsync(page, "result-edit", viewport, show: viewer);

        // Against the reconstruction.
        await viewer.ByTestIdIn("edit-viewer-mode").GetByText("Compare with the reconstruction").ClickAsync();
        await Assertions.Expect(viewer.ByTestIdIn("compare-before")).ToHaveAttributeAsync("src", new Regex("/reconstruction\\.png$"));

        // Zoomed: the edit's own pixels at 200 %, in a frame that scrolls.
        await viewer.ByTestIdIn("edit-viewer-mode").GetByText("Zoom").ClickAsync();
        await viewer.ByTestIdIn("zoom-200").ClickAsync();
        await Assertions.Expect(viewer.ByTestIdIn("edit-zoom-image")).ToHaveAttributeAsync("style", new Regex(@"width: 768px"));
        Assert.True(await viewer.ByTestIdIn("edit-zoom-frame").EvaluateAsync<bool>("e => e.scrollWidth > e.clientWidth"), "the zoomed edit does not scroll");

        // Downloaded as a PNG.
        var download = await page.RunAndWaitForDownloadAsync(() => viewer.ByTestIdIn("edit-viewer-download").ClickAsync());
        Assert.EndsWith(".png", download.SuggestedFilename);
        string saved = await download.PathAsync();
        var bytes = await File.ReadAllBytesAsync(saved);
        Assert.True(bytes.Length > 100 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G', "the download is not a PNG");

        // The edit's own share page: the edit large against the input, titled by its prompt.
        await viewer.ByTestIdIn("edit-viewer-share").ClickAsync();
        var created = page.ByTestId("share-created-url");
        await Assertions.Expect(created).ToBeVisibleAsync();
        string shareUrl = (await created.GetAttributeAsync("href"))!;
        await using var stranger = await app.NewContextAsync(viewport);
        var shared = await stranger.NewPageAsync();
        await shared.GotoAsync(shareUrl);
        await Assertions.Expect(shared.ByTestId("share-page")).ToHaveAttributeAsync("data-kind", "edit");
        await Assertions.Expect(shared.ByTestId("share-edit-prompt")).ToContainTextAsync(painting);
        await Assertions.Expect(shared.ByTestId("share-edit")).ToBeVisibleAsync();
        Assert.Contains(painting, await shared.TitleAsync());
        Assert.Contains(painting, await shared.MetaAsync("og:title") ?? "");
        await PageAudit.AssertAsync(shared, "an edit's share page");
        await app.ShotAsync(shared, "share-edit", viewport);
        await page.CloseAsync();
        await watch.AssertCleanAsync();
    }
}
