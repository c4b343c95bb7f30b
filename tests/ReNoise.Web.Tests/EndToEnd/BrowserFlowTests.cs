using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ReNoise.Web.Tests.Integration;
using ReNoise.TestSupport;

namespace ReNoise.Web.Tests.EndToEnd;

/// <summary>Runs alone: with other test classes computing beside it, two cores can delay the page's live updates past a short job.</summary>
[CollectionDefinition(nameof(BrowserFlowCollection), DisableParallelization = true)]
public sealed class BrowserFlowCollection;

/// <summary>
/// The real app on Kestrel, driven in Debian's Chromium through Playwright: upload a photo, invert
/// it on the demo model while progress advances, find it in the gallery, edit it, share it and open
/// the link in a fresh browser context. Screenshots of every page go to artifacts/e2e/.
/// </summary>
[Collection(nameof(BrowserFlowCollection))]
public sealed class BrowserFlowTests : IAsyncLifetime
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private static readonly string Screenshots = Path.Combine(TestPaths.RepoRoot, "artifacts", "e2e");

    private readonly StudioFactory _factory = new();
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private string _baseUrl = "";

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: install Debian's chromium (.ci/run does)");
        _factory.UseKestrel(0);
        _factory.StartServer();
        _baseUrl = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First().Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        Directory.CreateDirectory(Screenshots);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _factory.DisposeAsync();
    }

    /// <summary>
    /// A full-page screenshot from the top (a scrolled page draws its fixed app bar mid-page in a
    /// full-page capture), after expand animations have settled.
    /// </summary>
    private static async Task Shot(IPage page, string name)
    {
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await page.WaitForTimeoutAsync(400);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    private static ILocator ByTestId(IPage page, string id) => page.GetByTestId(id);

    /// <summary>Navigates and waits for the Blazor circuit: inputs do nothing until it is connected.</summary>
    private static async Task GotoInteractiveAsync(IPage page, string url)
    {
        var connected = page.WaitForConsoleMessageAsync(new() { Predicate = m => m.Text.Contains("WebSocket connected") });
        await page.GotoAsync(url);
        await connected;
    }

    /// <summary>
    /// Picks a file once, as a user would: the input is disabled ("Connecting…") until the circuit is
    /// interactive, so a file picked as soon as it can be is never lost.
    /// </summary>
    private static async Task UploadAsync(IPage page, string file)
    {
        await Assertions.Expect(page.Locator("#upload-input")).ToBeEnabledAsync();
        await page.Locator("#upload-input").SetInputFilesAsync(file);
        await Assertions.Expect(ByTestId(page, "upload-preview")).ToBeVisibleAsync();
    }

    /// <summary>Console messages in which the browser reports a Content-Security-Policy violation.</summary>
    private static List<string> WatchCsp(IBrowserContext context)
    {
        var violations = new List<string>();
        context.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)
                || message.Text.Contains("Refused to", StringComparison.Ordinal))
                lock (violations) violations.Add(message.Text);
        };
        return violations;
    }

    [Fact]
    public async Task Upload_invert_watch_progress_find_in_gallery_edit_and_share()
    {
        await using var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _baseUrl, ViewportSize = new() { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(60_000);
        Assertions.SetDefaultExpectTimeout(30_000);
        var csp = WatchCsp(context);
        var page = await context.NewPageAsync();

        // Studio: pick a photo, describe it, ask for enough steps that progress is visible.
        await GotoInteractiveAsync(page, "/");
        await UploadAsync(page, Path.Combine(TestPaths.Fixtures, "images", "astronaut.png"));
        await page.Locator("#prompt-input").FillAsync("a photo of an astronaut");
        await ByTestId(page, "advanced-panel").Locator(".mud-expand-panel-header").ClickAsync();
        await page.Locator("#param-steps").FillAsync("24");
        await page.Locator("#param-steps").BlurAsync();
        await Shot(page, "1-studio");
        await page.Locator("#submit-inversion").ClickAsync();

        // Progress: the job page shows the step count advancing before the result takes over.
        await page.WaitForURLAsync(new Regex("/(jobs|inversions)/"), new() { WaitUntil = WaitUntilState.Commit });
        var steps = new List<int>();
        var stepText = ByTestId(page, "job-step");
        while (!page.Url.Contains("/inversions/"))
        {
            if (await stepText.IsVisibleAsync() && Regex.Match(await stepText.InnerTextAsync(), @"(\d+)\s*/\s*24") is { Success: true } m)
            {
                int step = int.Parse(m.Groups[1].Value);
                if (steps.Count == 0 || steps[^1] != step) steps.Add(step);
                if (steps.Count == 2) await Shot(page, "2-progress");
            }
            await Task.Delay(50);
        }
        Assert.True(steps.Count >= 2 && steps[^1] > steps[0], $"progress did not advance: saw steps [{string.Join(", ", steps)}]");

        // Result: input and reconstruction, metrics.
        await Assertions.Expect(ByTestId(page, "result-reconstruction")).ToBeVisibleAsync();
        await Assertions.Expect(ByTestId(page, "result-input")).ToBeVisibleAsync();
        await Assertions.Expect(ByTestId(page, "metric-psnr")).ToContainTextAsync(new Regex(@"\d+\.\d+"));
        await Shot(page, "3-result");
        string inversionUrl = page.Url;

        // Gallery: the inversion is there; open it.
        await ByTestId(page, "nav-gallery").ClickAsync();
        await page.WaitForURLAsync(new Regex("/gallery"));
        var card = ByTestId(page, "gallery-card").Filter(new() { HasText = "a photo of an astronaut" });
        await Assertions.Expect(card).ToHaveCountAsync(1);
        await Shot(page, "4-gallery");
        await card.GetByTestId("gallery-open").ClickAsync();
        await page.WaitForURLAsync(inversionUrl);

        // Edit: a new prompt on the stored inversion shows up in the timeline.
        await page.Locator("#edit-prompt").FillAsync("a painting of an astronaut");
        await page.Locator("#edit-submit").ClickAsync();
        var editItem = ByTestId(page, "edit-item").Filter(new() { HasText = "a painting of an astronaut" });
        await Assertions.Expect(editItem).ToHaveCountAsync(1);
        await Assertions.Expect(editItem.Locator("img")).ToBeVisibleAsync();
        await Shot(page, "5-edit");

        // Share: the link opens in a fresh context (no session cookie) as a read-only page.
        await ByTestId(page, "share-button").ClickAsync();
        var created = ByTestId(page, "share-created-url");
        await Assertions.Expect(created).ToBeVisibleAsync();
        string shareUrl = (await created.GetAttributeAsync("href"))!;
        Assert.Matches(new Regex("/s/[A-Za-z0-9_-]{22,}$"), shareUrl);

        await using var stranger = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _baseUrl, ViewportSize = new() { Width = 1280, Height = 900 } });
        var strangerCsp = WatchCsp(stranger);
        var shared = await stranger.NewPageAsync();
        var sharedResponse = await shared.GotoAsync(shareUrl);
        Assert.Contains("script-src 'self'", sharedResponse!.Headers["content-security-policy"]); // the policy the browser enforced
        await Assertions.Expect(shared.GetByTestId("share-page")).ToBeVisibleAsync();
        await Assertions.Expect(shared.GetByTestId("share-page")).ToContainTextAsync("a photo of an astronaut");
        await Assertions.Expect(shared.GetByTestId("edit-form")).ToHaveCountAsync(0);
        await Shot(shared, "6-share");

        // The stranger's own gallery is empty: sharing exposed nothing else.
        await shared.GotoAsync("/gallery");
        await Assertions.Expect(shared.GetByTestId("gallery-card")).ToHaveCountAsync(0);

        // The whole flow ran under the Content-Security-Policy without a single violation.
        lock (csp) Assert.Empty(csp);
        lock (strangerCsp) Assert.Empty(strangerCsp);
    }
}
