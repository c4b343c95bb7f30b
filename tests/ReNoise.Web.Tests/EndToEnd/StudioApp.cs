using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ReNoise.Data;
using ReNoise.TestSupport;
using ReNoise.Web.Sessions;
using ReNoise.Web.Tests.Integration;

namespace ReNoise.Web.Tests.EndToEnd;

/// <summary>
/// The end-to-end tests run alone and in order: with other test classes computing beside them, two
/// cores can delay the page's live updates past a short job. They share one app and one browser.
/// </summary>
[CollectionDefinition(nameof(EndToEndCollection), DisableParallelization = true)]
public sealed class EndToEndCollection : ICollectionFixture<StudioApp>;

/// <summary>The two screens every page is tried on: a laptop and a phone.</summary>
public static class Viewports
{
    public const string Desktop = "desktop";
    public const string Phone = "phone";

    public static TheoryData<string> Both => new() { Desktop, Phone };
}

/// <summary>
/// The real app on Kestrel (a temp database, the demo model on the CPU), driven in Debian's Chromium
/// through Playwright, for every end-to-end test: one browser, and one context per viewport that the
/// tests reuse (so it is one browser's session, as a user's). It watches the browser's console (errors,
/// Content-Security-Policy violations) and the app's log ("Unhandled exception in circuit"): a test
/// fails on any of them (<see cref="Watch"/>). Screenshots go to artifacts/e2e/, and to the folder
/// RENOISE_SCREENSHOTS names (docs/screenshots when it is "1").
/// </summary>
public sealed class StudioApp : IAsyncLifetime
{
    private const string ChromiumPath = "/usr/bin/chromium";
    public const string ScreenshotsVariable = "RENOISE_SCREENSHOTS";

    private static readonly string Artifacts = Path.Combine(TestPaths.RepoRoot, "artifacts", "e2e");

    private readonly Dictionary<string, IBrowserContext> _contexts = [];
    private readonly List<string> _console = [];

    public StudioFactory Factory { get; } = new();
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";

    /// <summary>Where screenshots go besides artifacts/e2e, when asked for (docs/screenshots).</summary>
    public static string? ScreenshotFolder => Environment.GetEnvironmentVariable(ScreenshotsVariable) switch
    {
        null or "" or "0" => null,
        "1" => Path.Combine(TestPaths.RepoRoot, "docs", "screenshots"),
        var folder => Path.GetFullPath(folder, TestPaths.RepoRoot),
    };

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: install Debian's chromium (.ci/run does)");
        Factory.UseKestrel(0);
        Factory.StartServer();
        BaseUrl = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First().Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1");
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        Directory.CreateDirectory(Artifacts);
        if (ScreenshotFolder is { } folder) Directory.CreateDirectory(folder);
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts.Values) await context.DisposeAsync();
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Factory.DisposeAsync();
    }

    /// <summary>The viewport's browser context, the same for every test (one browser's session).</summary>
    public async Task<IBrowserContext> ContextAsync(string viewport)
    {
        if (_contexts.TryGetValue(viewport, out var context)) return context;
        context = await NewContextAsync(viewport);
        _contexts[viewport] = context;
        return context;
    }

    /// <summary>A fresh browser context (no cookies: another person, or a browser whose cookies were cleared), watched like the shared ones.</summary>
    public async Task<IBrowserContext> NewContextAsync(string viewport, bool watch = true, string? baseUrl = null)
    {
        var options = new BrowserNewContextOptions
        {
            BaseURL = baseUrl ?? BaseUrl,
            AcceptDownloads = true,
            Permissions = ["clipboard-read", "clipboard-write"],
        };
        if (viewport == Viewports.Phone)
        {
            options.ViewportSize = new ViewportSize { Width = 390, Height = 844 };
            options.IsMobile = true;
            options.HasTouch = true;
            options.DeviceScaleFactor = 2;
        }
        else
        {
            options.ViewportSize = new ViewportSize { Width = 1440, Height = 900 };
        }
        var context = await Browser.NewContextAsync(options);
        context.SetDefaultTimeout(60_000);
        if (watch) Observe(context);
        return context;
    }

    private void Observe(IBrowserContext context)
    {
        context.Console += (_, message) =>
        {
            if (message.Type == "error" || message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)
                                        || message.Text.Contains("Refused to", StringComparison.Ordinal))
                lock (_console) _console.Add($"console {message.Type}: {message.Text} ({message.Location})");
        };
        context.Page += (_, page) => page.PageError += (_, error) =>
        {
            lock (_console) _console.Add($"page error: {error}");
        };
    }

    /// <summary>Starts watching: <see cref="Watch.AssertCleanAsync"/> fails on what the browsers and the app report from now on.</summary>
    public Watch Watch()
    {
        int console;
        lock (_console) console = _console.Count;
        return new Watch(this, console, Factory.Logs.Entries.Count);
    }

    internal IReadOnlyList<string> ConsoleSince(int index)
    {
        lock (_console) return _console.Skip(index).ToList();
    }

    /// <summary>The session id in a context's cookie (after a studio or gallery page made it).</summary>
    public async Task<Guid> OwnerOfAsync(IBrowserContext context)
    {
        var cookie = (await context.CookiesAsync()).FirstOrDefault(c => c.Name == SessionCookie.Name)
                     ?? throw new InvalidOperationException("the context has no session cookie yet: open the studio or the gallery first");
        return Guid.Parse(cookie.Value);
    }

    /// <summary>The prompt of the inversion the tests share (<see cref="InversionAsync"/>).</summary>
    public const string SharedPrompt = "a photo of an astronaut";

    private readonly Dictionary<string, string> _inversions = [];

    /// <summary>
    /// The URL of one finished inversion of the viewport's session, made once through the studio and
    /// reused by the tests that only look at a result (none of them deletes it).
    /// </summary>
    public async Task<string> InversionAsync(string viewport)
    {
        if (_inversions.TryGetValue(viewport, out var url)) return url;
        var page = await (await ContextAsync(viewport)).NewPageAsync();
        url = await page.InvertAsync(SharedPrompt);
        await page.CloseAsync();
        _inversions[viewport] = url;
        return url;
    }

    public Task<T> StoreAsync<T>(Func<GalleryStore, Task<T>> operation) => Factory.WithStoreAsync(operation);

    /// <summary>
    /// A full-page screenshot from the top (a scrolled page draws its fixed app bar mid-page in a
    /// full-page capture), after animations have settled: artifacts/e2e/NAME-VIEWPORT.png; and, when a
    /// screenshot folder is asked for, the screen's view (at <paramref name="show"/> when given) of the documented pages in 64 colours, small enough to commit.
    /// </summary>
    public async Task ShotAsync(IPage page, string name, string viewport, ILocator? show = null)
    {
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await page.WaitForTimeoutAsync(400);
        string file = $"{name}-{viewport}.png";
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, file), FullPage = true });
        if (ScreenshotFolder is not { } folder || !DocumentedPages.Contains(name)) return;
        // For the docs (committed): what the screen shows, at CSS pixels; scrolled to what the shot is of, if asked.
        if (show is not null)
        {
            await show.EvaluateAsync("e => { e.scrollIntoView({ block: 'start' }); window.scrollBy(0, -72); }");
            await page.WaitForTimeoutAsync(300);
        }
        byte[] view = await page.ScreenshotAsync(new PageScreenshotOptions { Scale = ScreenshotScale.Css });
        if (show is not null) await page.EvaluateAsync("window.scrollTo(0, 0)");
        using var image = SixLabors.ImageSharp.Image.Load(view);
        await SixLabors.ImageSharp.ImageExtensions.SaveAsPngAsync(image, Path.Combine(folder, file), new SixLabors.ImageSharp.Formats.Png.PngEncoder
        {
            ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.Palette,
            CompressionLevel = SixLabors.ImageSharp.Formats.Png.PngCompressionLevel.BestCompression,
            // 64 colours without dithering: the photos compress, the interface stays sharp.
            Quantizer = new SixLabors.ImageSharp.Processing.Processors.Quantization.WuQuantizer(
                new SixLabors.ImageSharp.Processing.Processors.Quantization.QuantizerOptions { MaxColors = 64, Dither = null }),
        });
    }

    /// <summary>The pages whose screenshots go to docs/screenshots (each at both sizes).</summary>
    private static readonly HashSet<string> DocumentedPages =
        ["studio", "studio-problems", "job", "result", "result-edit", "share", "share-edit", "gallery", "not-found"];
}

/// <summary>What the browsers and the app reported since a test began; the test fails on any of it.</summary>
public sealed class Watch(StudioApp app, int console, int log)
{
    private readonly List<Regex> _expected = [];

    /// <summary>Console errors this test causes on purpose (a 404 page the browser reports as a failed load).</summary>
    public Watch Expect(string pattern)
    {
        _expected.Add(new Regex(pattern));
        return this;
    }

    public Task AssertCleanAsync()
    {
        var console1 = app.ConsoleSince(console).Where(m => !_expected.Any(r => r.IsMatch(m))).ToList();
        Assert.True(console1.Count == 0, "the browser reported:\n" + string.Join("\n", console1));
        var circuit = app.Factory.Logs.Entries.Skip(log)
            .Where(e => e.Message.Contains("Unhandled exception in circuit", StringComparison.Ordinal)
                        || (e.Level >= Microsoft.Extensions.Logging.LogLevel.Error && e.Category.StartsWith("Microsoft.AspNetCore.Components", StringComparison.Ordinal)))
            .Select(e => $"{e.Level} {e.Category}: {e.Message}").ToList();
        Assert.True(circuit.Count == 0, "the app logged:\n" + string.Join("\n", circuit));
        return Task.CompletedTask;
    }
}
