using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using ReNoise.LoadTest;

// The studio under load through real circuits: N sessions (browser contexts in Debian's Chromium)
// each submitting jobs through the studio form, one session trying 10 jobs at once, one trying
// R = 100000 and an over-budget job. Loopback only, bounded in count and time. Exit code 0 when every
// check holds (docs/reliability.md lists them and the figures measured).
var options = LoadOptions.Parse(args);
var clock = Stopwatch.StartNew();
using var overall = new CancellationTokenSource(options.Deadline);
string repo = Repository.Root();
string appDll = options.AppDll ?? await Repository.PublishStudioAsync(repo);
string[] images = ["astronaut.png", "coffee.png", "chelsea.png"];
images = images.Select(i => Path.Combine(repo, "tests", "fixtures", "images", i)).ToArray();

Console.WriteLine($"load test ({(options.Short ? "short" : "full")}): {options.Sessions} sessions x {options.JobsPerSession} jobs per round, " +
                  $"until {options.TotalJobs} jobs, {options.Parallel} browser sessions at once, deadline {options.Deadline.TotalMinutes:0.#} min");
await using var studio = await StudioProcess.StartAsync(appDll, new Dictionary<string, string> { ["ReNoise:ExecutionProvider"] = "Cpu" }, TimeSpan.FromSeconds(90));
Console.WriteLine($"studio: {studio.BaseAddress} (pid {studio.ProcessId}), {studio.ResidentMegabytes():0} MB at start");

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = "/usr/bin/chromium",
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
});
using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = studio.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

var results = new Results();
var tracker = new JobTracker(http, results);
var monitor = Task.Run(() => MonitorAsync(overall.Token));

// Round one also runs the two abusive sessions, beside the regular ones.
var abuse = Task.WhenAll(QuotaAbuseAsync(), CostAbuseAsync());
int round = 0;
while (tracker.RegularAccepted < options.TotalJobs && !overall.IsCancellationRequested)
{
    round++;
    using var slots = new SemaphoreSlim(options.Parallel);
    var sessions = Enumerable.Range(0, options.Sessions).Select(async s =>
    {
        await slots.WaitAsync(overall.Token);
        try
        {
            await RegularSessionAsync(images[(round + s) % images.Length]);
        }
        finally
        {
            slots.Release();
        }
    });
    await Task.WhenAll(sessions);
    Console.WriteLine($"round {round}: {results.RegularSubmitted} regular jobs submitted, {tracker.Done} done, {clock.Elapsed.TotalSeconds:0} s");
}
await abuse;

// Every accepted job must end; wait for the stragglers within the deadline.
while (tracker.Pending > 0 && !overall.IsCancellationRequested) await Task.Delay(500);
await tracker.PollAsync(CancellationToken.None);
results.MemoryAtEnd = studio.ResidentMegabytes();
overall.Cancel();
await monitor.ContinueWith(_ => { });
await tracker.CheckGalleriesAsync();

var report = Report.Build(options, results, tracker, clock.Elapsed);
Console.WriteLine(report.Text);
Directory.CreateDirectory(Path.GetDirectoryName(options.ReportPath)!);
await File.WriteAllTextAsync(options.ReportPath, report.Text);
Console.WriteLine($"report: {options.ReportPath}");
Console.WriteLine(report.Failures.Count == 0 ? "load test: all checks passed" : $"load test: {report.Failures.Count} check(s) failed");
return report.Failures.Count == 0 ? 0 : 1;

// ---- sessions ----

async Task<IPage> OpenStudioAsync(IBrowserContext context)
{
    var page = await context.NewPageAsync();
    page.SetDefaultTimeout(60_000);
    if (Environment.GetEnvironmentVariable("LOADTEST_DEBUG") is not null)
    {
        page.Console += (_, m) => Console.WriteLine($"console: {m.Type} {m.Text}");
        page.Response += (_, r) => Console.WriteLine($"response: {r.Status} {r.Url} {string.Join("; ", r.Headers.Select(h => h.Key + "=" + h.Value))}");
    }
    await LoadStudioAsync(page);
    return page;
}

async Task LoadStudioAsync(IPage page)
{
    var watch = Stopwatch.StartNew();
    await page.GotoAsync("/");
    // Ready when a user can use it: the circuit is interactive, so the inputs are enabled.
    await page.Locator("#upload-input:not([disabled])").WaitForAsync(new() { State = WaitForSelectorState.Attached });
    results.PageTimes.Add(("studio", watch.Elapsed.TotalMilliseconds));
}

async Task FillAsync(IPage page, string image)
{
    await page.Locator("#upload-input").SetInputFilesAsync(image);
    await page.GetByTestId("upload-preview").WaitForAsync();
    await page.Locator("#prompt-input").FillAsync("a photo for the load test");
}

/// <summary>Clicks Invert: the job id when the studio moved on to the job's page, or the studio's refusal.</summary>
async Task<(Guid? Job, string? Refusal)> SubmitAsync(IPage page)
{
    var moved = page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}"), new() { WaitUntil = WaitUntilState.Commit });
    // A refusal: the server's (form-error) or the form's own list of parameter problems (form-problems).
    var refusal = page.Locator("[data-testid=form-error], [data-testid=form-problems]").First;
    var refused = refusal.WaitForAsync();
    await page.Locator("#submit-inversion").ClickAsync();
    var first = await Task.WhenAny(moved, refused);
    _ = moved.ContinueWith(t => t.Exception, TaskScheduler.Default);
    _ = refused.ContinueWith(t => t.Exception, TaskScheduler.Default);
    await first;
    if (first == moved) return (Guid.Parse(Regex.Match(page.Url, "/jobs/([0-9a-f-]{36})").Groups[1].Value), null);
    string said = (await refusal.InnerTextAsync()).Trim();
    // The form's list names the fields; each field says its own problem beside it.
    var atFields = await page.Locator(".mud-input-control:has([aria-invalid=true])").AllInnerTextsAsync();
    if (atFields.Count > 0) said += " | at the fields: " + string.Join(" | ", atFields.Select(t => t.ReplaceLineEndings(" ").Trim()));
    return (null, said.ReplaceLineEndings(" "));
}

async Task<string> SessionCookieAsync(IBrowserContext context) =>
    (await context.CookiesAsync()).First(c => c.Name == "renoise_session").Value;

async Task RegularSessionAsync(string image)
{
    await using var context = await browser.NewContextAsync(new() { BaseURL = studio.BaseAddress.ToString() });
    var page = await OpenStudioAsync(context);
    string cookie = await SessionCookieAsync(context);
    for (int j = 0; j < options.JobsPerSession && !overall.IsCancellationRequested; j++)
    {
        if (j > 0) await LoadStudioAsync(page);
        await FillAsync(page, image);
        var (job, refusal) = await SubmitAsync(page);
        Interlocked.Increment(ref results.RegularSubmittedCount);
        if (job is Guid id) tracker.Add(id, cookie, "regular");
        else results.UnexpectedRefusals.Add(refusal!);
    }
}

// One session tries 10 jobs at once: 10 tabs ready, Invert clicked in all of them together.
async Task QuotaAbuseAsync()
{
    await using var context = await browser.NewContextAsync(new() { BaseURL = studio.BaseAddress.ToString() });
    var pages = new List<IPage>();
    for (int i = 0; i < 10; i++)
    {
        var page = await OpenStudioAsync(context);
        await FillAsync(page, images[i % images.Length]);
        pages.Add(page);
    }
    string cookie = await SessionCookieAsync(context);
    var outcomes = await Task.WhenAll(pages.Select(SubmitAsync));
    foreach (var (job, refusal) in outcomes)
    {
        if (job is Guid id) tracker.Add(id, cookie, "quota");
        else results.QuotaRefusals.Add(refusal!);
    }
    results.QuotaAccepted = outcomes.Count(o => o.Job is not null);
}

// One session asks for R = 100000, then for a job within every bound but over the budget.
async Task CostAbuseAsync()
{
    await using var context = await browser.NewContextAsync(new() { BaseURL = studio.BaseAddress.ToString() });
    var page = await OpenStudioAsync(context);
    await FillAsync(page, images[0]);
    await page.GetByTestId("advanced-panel").Locator(".mud-expand-panel-header").ClickAsync();
    await page.Locator("#param-renoise-steps").FillAsync("100000");
    await page.Locator("#param-renoise-steps").BlurAsync();
    var (job, refusal) = await SubmitAsync(page);
    results.CostRefusals.Add(refusal ?? $"accepted as job {job}");
    await page.Locator("#param-renoise-steps").FillAsync("9");
    await page.Locator("#param-renoise-steps").BlurAsync();
    await page.Locator("#param-steps").FillAsync("100");
    await page.Locator("#param-steps").BlurAsync();
    await page.WaitForFunctionAsync("() => ![...document.querySelectorAll('[data-testid=form-error], [data-testid=form-problems]')].some(e => e.textContent.includes('100000'))");
    (job, refusal) = await SubmitAsync(page);
    results.CostRefusals.Add(refusal ?? $"accepted as job {job}");
}

// Polls the accepted jobs' pages, samples memory after 20 and after 200 finished jobs, and times the
// gallery page while the studio is busy.
async Task MonitorAsync(CancellationToken stop)
{
    int galleryTurn = 0;
    while (!stop.IsCancellationRequested)
    {
        try
        {
            await tracker.PollAsync(stop, most: 8);
            int done = tracker.Done;
            if (done >= 20 && results.MemoryAfter20 is null) results.MemoryAfter20 = studio.ResidentMegabytes();
            if (done >= 200 && results.MemoryAfter200 is null) results.MemoryAfter200 = studio.ResidentMegabytes();
            if (tracker.AnyCookie(galleryTurn++) is { } cookie)
            {
                var watch = Stopwatch.StartNew();
                using var request = new HttpRequestMessage(HttpMethod.Get, "gallery");
                request.Headers.Add("Cookie", $"renoise_session={cookie}");
                using var response = await http.SendAsync(request, stop);
                await response.Content.ReadAsStringAsync(stop);
                results.PageTimes.Add(("gallery", watch.Elapsed.TotalMilliseconds));
            }
            await Task.Delay(2000, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}

namespace ReNoise.LoadTest
{
    public sealed record LoadOptions(bool Short, int Sessions, int JobsPerSession, int TotalJobs, int Parallel, TimeSpan Deadline,
        bool CheckMemory, string ReportPath, string? AppDll)
    {
        public static LoadOptions Parse(string[] args)
        {
            bool isShort = args.Contains("--short");
            string Value(string name, string fallback)
            {
                int i = Array.IndexOf(args, name);
                return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
            }
            int Number(string name, int fallback) => int.Parse(Value(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
            string repo = Repository.Root();
            return new LoadOptions(
                isShort,
                Sessions: Number("--sessions", isShort ? 4 : 20),
                JobsPerSession: Number("--jobs", isShort ? 2 : 3),
                TotalJobs: Number("--total-jobs", isShort ? 8 : 200),
                Parallel: Number("--parallel", isShort ? 2 : 4),
                Deadline: TimeSpan.FromMinutes(Number("--deadline-minutes", isShort ? 3 : 25)),
                CheckMemory: !isShort,
                ReportPath: Value("--report", Path.Combine(repo, "artifacts", "loadtest", isShort ? "report-short.md" : "report.md")),
                AppDll: args.Contains("--app") ? Value("--app", "") : null);
        }
    }

    public static class Repository
    {
        public static string Root()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ReNoise.sln"))) return dir.FullName;
            throw new InvalidOperationException("run the load test from inside the repository (ReNoise.sln not found)");
        }

        /// <summary>
        /// Publishes the studio, already built in this tool's configuration (the project reference builds
        /// it first), to artifacts/loadtest/app: a published app serves its static files in Production,
        /// a build output does not.
        /// </summary>
        public static async Task<string> PublishStudioAsync(string repo)
        {
            string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            string output = Path.Combine(repo, "artifacts", "loadtest", "app");
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { "publish", "src/ReNoise.Web", "-c", configuration, "-o", output, "--no-build", "-v", "q", "--nologo" })
                start.ArgumentList.Add(arg);
            using var publish = Process.Start(start)!;
            string log = await publish.StandardOutput.ReadToEndAsync() + await publish.StandardError.ReadToEndAsync();
            await publish.WaitForExitAsync();
            if (publish.ExitCode != 0) throw new InvalidOperationException($"dotnet publish failed:{Environment.NewLine}{log}");
            return Path.Combine(output, "ReNoise.Web.dll");
        }
    }

    public sealed class Results
    {
        public int RegularSubmittedCount;
        public int RegularSubmitted => Volatile.Read(ref RegularSubmittedCount);
        public ConcurrentBag<string> UnexpectedRefusals { get; } = [];
        public ConcurrentBag<string> QuotaRefusals { get; } = [];
        public int QuotaAccepted { get; set; }
        public ConcurrentBag<string> CostRefusals { get; } = [];
        public ConcurrentBag<(string Page, double Ms)> PageTimes { get; } = [];
        public double? MemoryAfter20 { get; set; }
        public double? MemoryAfter200 { get; set; }
        public double MemoryAtEnd { get; set; }
    }

    /// <summary>Every accepted job, polled through its own page (with its session's cookie) until it ends.</summary>
    public sealed class JobTracker(HttpClient http, Results results)
    {
        private readonly ConcurrentDictionary<Guid, (string Cookie, string Kind, long Order)> _jobs = new();
        private long _order;
        private readonly ConcurrentDictionary<Guid, string> _ended = new();
        private readonly ConcurrentDictionary<string, int> _gallery = new();

        public int Accepted => _jobs.Count;
        public int RegularAccepted => _jobs.Values.Count(j => j.Kind == "regular");
        public int Done => _ended.Count(e => e.Value == "Done");
        public int Pending => _jobs.Count - _ended.Count;
        public IReadOnlyDictionary<Guid, string> Ended => _ended;
        public int GalleryTotal => _gallery.Values.Sum();
        public int Sessions => _jobs.Values.Select(j => j.Cookie).Distinct().Count();

        public void Add(Guid job, string cookie, string kind) => _jobs[job] = (cookie, kind, Interlocked.Increment(ref _order));

        public string? AnyCookie(int turn)
        {
            var cookies = _jobs.Values.Select(j => j.Cookie).Distinct().ToList();
            return cookies.Count == 0 ? null : cookies[turn % cookies.Count];
        }

        /// <summary>Polls up to <paramref name="most"/> unfinished jobs, oldest first (a person watches one job page, not all).</summary>
        public async Task PollAsync(CancellationToken stop, int most = int.MaxValue)
        {
            foreach (var (id, (cookie, _, _)) in _jobs.Where(j => !_ended.ContainsKey(j.Key)).OrderBy(j => j.Value.Order).Take(most).ToList())
            {
                string html = await GetAsync($"jobs/{id}", cookie, stop);
                string phase = Regex.Match(html, "data-phase=\"(\\w+)\"").Groups[1].Value;
                if (phase is "Done" or "Failed" or "Cancelled") _ended[id] = phase;
            }
        }

        /// <summary>Each session's gallery count: every Done inversion must be there (none lost).</summary>
        public async Task CheckGalleriesAsync()
        {
            foreach (string cookie in _jobs.Values.Select(j => j.Cookie).Distinct())
            {
                string html = await GetAsync("gallery", cookie, CancellationToken.None);
                var count = Regex.Match(html, "data-testid=\"gallery-count\"[^>]*>(\\d+) inversion");
                _gallery[cookie] = count.Success ? int.Parse(count.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            }
        }

        private async Task<string> GetAsync(string path, string cookie, CancellationToken stop)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Cookie", $"renoise_session={cookie}");
            var watch = Stopwatch.StartNew();
            using var response = await http.SendAsync(request, stop);
            string body = await response.Content.ReadAsStringAsync(stop);
            if (path.StartsWith("jobs/", StringComparison.Ordinal)) results.PageTimes.Add(("job", watch.Elapsed.TotalMilliseconds));
            return body;
        }
    }

    public sealed record Report(string Text, IReadOnlyList<string> Failures)
    {
        public const string QuotaMessage = "You already have 3 jobs queued or running";
        public const string QueueFullMessage = "The queue is full";

        public static Report Build(LoadOptions options, Results results, JobTracker tracker, TimeSpan elapsed)
        {
            var failures = new List<string>();
            void Check(bool ok, string what)
            {
                if (!ok) failures.Add(what);
            }
            var ended = tracker.Ended.Values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
            int done = ended.GetValueOrDefault("Done");
            Check(tracker.Pending == 0, $"{tracker.Pending} accepted job(s) had not ended by the deadline");
            Check(done == tracker.Accepted, $"only {done} of {tracker.Accepted} accepted jobs ended Done ({string.Join(", ", ended.Select(e => $"{e.Value} {e.Key}"))})");
            Check(tracker.GalleryTotal == done, $"the galleries hold {tracker.GalleryTotal} inversions for {done} jobs done (lost or extra results)");
            // A regular session stays within its quota; the only refusal it may meet is the queue-wide limit
            // (the queue is full while the server is behind), which is the limit working.
            var unexpected = results.UnexpectedRefusals.Where(r => !r.Contains(QueueFullMessage, StringComparison.Ordinal)).ToList();
            int queueFull = results.UnexpectedRefusals.Count - unexpected.Count;
            Check(unexpected.Count == 0, $"regular sessions were refused: {string.Join(" | ", unexpected.Distinct())}");
            Check(!results.QuotaRefusals.IsEmpty && results.QuotaRefusals.All(r => r.Contains(QuotaMessage, StringComparison.Ordinal)),
                $"the 10-job session was not refused by its quota as expected: {string.Join(" | ", results.QuotaRefusals.Distinct())}");
            var cost = results.CostRefusals.ToList();
            Check(cost.Any(r => r.Contains("Renoise steps R must be at most 100, got 100000", StringComparison.Ordinal)), "R = 100000 was not refused naming R and its bound");
            Check(cost.Any(r => r.Contains("the limit is 400 per job", StringComparison.Ordinal)), "the over-budget job was not refused naming the limit");
            double? growth = results.MemoryAfter200 - results.MemoryAfter20;
            if (options.CheckMemory)
            {
                Check(results.MemoryAfter200 is not null, $"fewer than 200 jobs finished ({done}): no memory figure after 200");
                Check(growth is null or <= 150, $"memory grew {growth:0} MB between 20 and 200 finished jobs (limit 150 MB)");
            }

            string Percentiles(string page)
            {
                var times = results.PageTimes.Where(t => t.Page == page).Select(t => t.Ms).Order().ToList();
                if (times.Count == 0) return $"| {page} | 0 | – | – | – |";
                double P(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
                return string.Create(CultureInfo.InvariantCulture, $"| {page} | {times.Count} | {P(0.5):0} | {P(0.95):0} | {times[^1]:0} |");
            }

            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"# Load test ({(options.Short ? "short" : "full")}), {elapsed.TotalSeconds:0} s");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"- sessions with accepted jobs: {tracker.Sessions}; regular jobs submitted: {results.RegularSubmitted}; accepted in all: {tracker.Accepted}");
            text.AppendLine(CultureInfo.InvariantCulture, $"- ended: {string.Join(", ", ended.Select(e => $"{e.Value} {e.Key}"))}; pending: {tracker.Pending}; in the galleries: {tracker.GalleryTotal}");
            text.AppendLine(CultureInfo.InvariantCulture, $"- regular submissions refused by the queue-wide limit (queue full): {queueFull}");
            text.AppendLine(CultureInfo.InvariantCulture, $"- 10 jobs at once from one session: {results.QuotaAccepted} accepted, {results.QuotaRefusals.Count} refused: \"{results.QuotaRefusals.FirstOrDefault()}\"");
            foreach (string r in cost) text.AppendLine(CultureInfo.InvariantCulture, $"- costly submission refused: \"{r}\"");
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- studio memory (RSS): after 20 jobs {results.MemoryAfter20:0} MB, after 200 jobs {results.MemoryAfter200:0} MB, at the end {results.MemoryAtEnd:0} MB")
                + (growth is double g ? string.Create(CultureInfo.InvariantCulture, $" (growth 20 -> 200: {g:0} MB)") : ""));
            text.AppendLine();
            text.AppendLine("| page under load | samples | p50 ms | p95 ms | max ms |");
            text.AppendLine("|---|---|---|---|---|");
            text.AppendLine(Percentiles("studio"));
            text.AppendLine(Percentiles("gallery"));
            text.AppendLine(Percentiles("job"));
            text.AppendLine();
            text.AppendLine(failures.Count == 0 ? "All checks passed." : "Failed checks:");
            foreach (string f in failures) text.AppendLine($"- {f}");
            return new Report(text.ToString(), failures);
        }
    }
}
