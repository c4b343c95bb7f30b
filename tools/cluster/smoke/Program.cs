using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

// Submits --jobs inversions from --sessions sessions, alternating between the web nodes; follows each job's
// progress through the *other* web node (server-sent events); once jobs run, kills worker 1 with SIGKILL while
// its /healthz lists a job it runs; then checks every job ended Done exactly once (gallery rows = jobs) and the
// killed job was finished by another worker. Bounded by --deadline-minutes. Exit code 0 only when all holds.
var options = SmokeOptions.Parse(args);
var clock = Stopwatch.StartNew();
using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(options.DeadlineMinutes));
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
byte[][] photos = options.Photos.Select(File.ReadAllBytes).ToArray();
void Log(string line) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0}s] {line}");

// ---- sessions: a page visit on one node gives the cookie; both nodes know the session (one database) ----
var sessions = new List<HttpClient>();
for (int s = 0; s < options.Sessions; s++)
{
    var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true }) { Timeout = TimeSpan.FromMinutes(5) };
    client.DefaultRequestHeaders.Add("X-ReNoise-Api", "1");
    using var page = await client.GetAsync($"{options.Web[s % 2]}/gallery", deadline.Token);
    page.EnsureSuccessStatusCode();
    sessions.Add(client);
}
Log($"{options.Sessions} sessions opened");

var jobs = Enumerable.Range(0, options.Jobs).Select(i => new SmokeJob(i, i % options.Sessions, options.Web[i % 2], options.Web[(i + 1) % 2])).ToList();
var watchers = new List<Task>();
int quotaRefusals = 0;
var killedJobs = new ConcurrentBag<Guid>();

// ---- the killer: worker 1, SIGKILL, while it runs a job that has made model calls ----
var killer = Task.Run(async () =>
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
    while (!deadline.IsCancellationRequested)
    {
        await Task.Delay(100, deadline.Token);
        if (jobs.Count(j => j.Final?.Status == "Done") < options.KillAfterDone) continue;
        Guid[] running;
        try
        {
            using var health = JsonDocument.Parse(await http.GetStringAsync(options.KillHealth, deadline.Token));
            running = health.RootElement.GetProperty("running").EnumerateArray().Select(e => e.GetGuid()).ToArray();
        }
        catch (HttpRequestException)
        {
            continue;
        }
        if (running.Length == 0) continue;
        // Mid-job: its progress (seen through a web node) shows model calls made.
        if (!running.Any(id => jobs.FirstOrDefault(j => j.Id == id) is { MaxNfe: > 0 })) continue;
        int pid = int.Parse(File.ReadAllText(options.KillPidFile).Trim());
        Process.GetProcessById(pid).Kill();
        foreach (var id in running) killedJobs.Add(id);
        Log($"killed worker 1 (pid {pid}, SIGKILL) while it ran job(s) {string.Join(", ", running)}");
        return;
    }
});

// ---- submissions: each job through its node; a session at its quota is refused (by whichever node) and retried ----
var pending = new Queue<SmokeJob>(jobs);
while (pending.Count > 0 && !deadline.IsCancellationRequested)
{
    var job = pending.Dequeue();
    using var form = new MultipartFormDataContent();
    var photo = new ByteArrayContent(photos[job.Index % photos.Length]);
    photo.Headers.ContentType = new MediaTypeHeaderValue("image/png");
    form.Add(photo, "photo", Path.GetFileName(options.Photos[job.Index % photos.Length]));
    form.Add(new StringContent($"smoke photo {job.Index}"), "prompt");
    using var response = await sessions[job.Session].PostAsync($"{job.SubmitNode}/api/jobs", form, deadline.Token);
    string body = await response.Content.ReadAsStringAsync(deadline.Token);
    if (response.StatusCode == HttpStatusCode.Accepted)
    {
        job.Id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
        job.AcceptedAt = clock.Elapsed;
        watchers.Add(Task.Run(() => WatchAsync(job)));
        continue;
    }
    if (body.Contains("jobs queued or running", StringComparison.Ordinal))
    {
        // The session's quota, counted in the database for both nodes: wait for one of its jobs to end.
        Interlocked.Increment(ref quotaRefusals);
        pending.Enqueue(job);
        await Task.Delay(300, deadline.Token);
        continue;
    }
    Log($"job {job.Index}: refused unexpectedly ({(int)response.StatusCode}): {body}");
    break;
}
Log($"{jobs.Count(j => j.Id is not null)} jobs accepted ({quotaRefusals} submissions refused by the session quota and retried)");

try
{
    await Task.WhenAll(watchers).WaitAsync(deadline.Token);
}
catch (OperationCanceledException)
{
    Log("deadline reached before every job ended");
}
await killer.WaitAsync(TimeSpan.FromSeconds(1)).ContinueWith(_ => { }, TaskScheduler.Default);

// ---- checks: each job's row (through the node that took it), each session's gallery ----
using var check = new CancellationTokenSource(TimeSpan.FromSeconds(60));
int done = 0, lost = 0, duplicated = 0;
foreach (var job in jobs.Where(j => j.Id is not null))
{
    job.Final = JsonSerializer.Deserialize<JobState>(await sessions[job.Session].GetStringAsync($"{job.SubmitNode}/api/jobs/{job.Id}", check.Token), json);
    if (job.Final?.Status == "Done" && job.Final.InversionId is not null) done++;
}
for (int s = 0; s < sessions.Count; s++)
{
    var rows = JsonSerializer.Deserialize<List<GalleryRow>>(await sessions[s].GetStringAsync($"{options.Web[s % 2]}/api/gallery", check.Token), json)!;
    var expected = jobs.Where(j => j.Session == s && j.Final?.InversionId is not null).Select(j => j.Final!.InversionId!.Value).ToHashSet();
    var ids = rows.Select(r => r.Id).ToList();
    int ofSession = jobs.Count(j => j.Session == s);
    lost += ofSession - expected.Count(ids.Contains);
    duplicated += ids.Count - ids.Distinct().Count() + ids.Count(id => !expected.Contains(id));
}
int progressOther = jobs.Count(j => j.ProgressSeenOnOtherNode);
var killed = killedJobs.Distinct().Select(id => jobs.First(j => j.Id == id)).ToList();
bool killSurvived = killed.Count > 0 && killed.All(j => j.Final is { Status: "Done", Attempts: >= 2 });

foreach (var job in jobs)
    if (job.Final?.Status != "Done") Log($"job {job.Index} ({job.Id}): {job.Final?.Status ?? "never accepted"} {job.Final?.Error}");
foreach (var job in killed)
    Log($"killed worker's job {job.Id}: {job.Final?.Status} after {job.Final?.Attempts} attempts, finished through {job.LastNode}");
Log($"progress seen through the web node that did not take the job: {progressOther}/{jobs.Count} jobs");
Log($"job latency (accepted to done, seen through the other node): p50 {Percentile(0.5):0.0} s, max {Percentile(1):0.0} s; wall time {clock.Elapsed.TotalSeconds:0} s");

bool ok = done == options.Jobs && lost == 0 && duplicated == 0 && killSurvived && progressOther == options.Jobs;
string summary = $"cluster: {done}/{options.Jobs} jobs done, {lost} lost, {duplicated} duplicated, worker kill survived: {(killSurvived ? "yes" : "no")}";
if (options.SummaryFile is { } file) File.WriteAllText(file, summary + Environment.NewLine);
else Console.WriteLine(summary);
return ok ? 0 : 1;

double Percentile(double p)
{
    var latencies = jobs.Where(j => j.DoneAt is not null).Select(j => (j.DoneAt!.Value - j.AcceptedAt).TotalSeconds).Order().ToList();
    return latencies.Count == 0 ? double.NaN : latencies[(int)Math.Min(latencies.Count - 1, Math.Floor(p * latencies.Count))];
}

// Follows one job through the node that did not take it, reconnecting when the stream ends early.
async Task WatchAsync(SmokeJob job)
{
    var client = sessions[job.Session];
    while (!deadline.IsCancellationRequested)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{job.WatchNode}/api/jobs/{job.Id}/events");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token));
            while (await reader.ReadLineAsync(deadline.Token) is { } line)
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
                var state = JsonSerializer.Deserialize<JobState>(line[5..], json)!;
                job.LastNode = state.Node;
                if (state.Status == "Running" && state.Nfe > 0)
                {
                    job.MaxNfe = Math.Max(job.MaxNfe, state.Nfe);
                    job.ProgressSeenOnOtherNode = true; // this stream is the other node's (WatchNode != SubmitNode)
                }
                if (state.Status is "Done" or "Failed" or "Cancelled")
                {
                    job.Final = state;
                    job.DoneAt = clock.Elapsed;
                    return;
                }
            }
        }
        catch (HttpRequestException)
        {
            // The stream broke: reconnect.
        }
        await Task.Delay(500, deadline.Token);
    }
}

sealed class SmokeJob(int index, int session, string submitNode, string watchNode)
{
    public int Index { get; } = index;
    public int Session { get; } = session;
    public string SubmitNode { get; } = submitNode;
    public string WatchNode { get; } = watchNode;
    public TimeSpan AcceptedAt { get; set; }
    public Guid? Id { get; set; }
    public volatile JobState? Final;
    public TimeSpan? DoneAt { get; set; }
    public volatile int MaxNfe;
    public volatile bool ProgressSeenOnOtherNode;
    public string? LastNode { get; set; }
}

sealed record JobState(Guid Id, string Status, string Phase, int Nfe, Guid? InversionId, int Attempts, string? Error, string? Node);

sealed record GalleryRow(Guid Id, string Prompt);

sealed record SmokeOptions(string[] Web, string KillHealth, string KillPidFile, int Jobs, int Sessions, int KillAfterDone, double DeadlineMinutes,
    string[] Photos, string? SummaryFile)
{
    public static SmokeOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2) values[args[i].TrimStart('-')] = args[i + 1];
        string Get(string key) => values.TryGetValue(key, out var v) ? v : throw new ArgumentException($"--{key} is required");
        return new SmokeOptions(
            Get("web").Split(','), Get("kill-health"), Get("kill-pid-file"),
            int.Parse(values.GetValueOrDefault("jobs", "20")), int.Parse(values.GetValueOrDefault("sessions", "5")),
            int.Parse(values.GetValueOrDefault("kill-after-done", "2")), double.Parse(values.GetValueOrDefault("deadline-minutes", "10"), System.Globalization.CultureInfo.InvariantCulture),
            Get("photos").Split(','), values.GetValueOrDefault("summary"));
    }
}
