using System.IO.Compression;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;

namespace ReNoise.Web.Tests.Integration;

/// <summary>What one job and one session may cost, on the app's default limits.</summary>
public sealed class ServingLimitsTests(StudioFactory factory) : IClassFixture<StudioFactory>
{
    private JobQueue Queue => factory.Services.GetRequiredService<JobQueue>();

    private static InversionSubmission Submission(Func<ReNoise.Engine.Inversion.InversionParameters, ReNoise.Engine.Inversion.InversionParameters>? change = null, byte[]? image = null)
    {
        var parameters = ConfiguredModelCatalog.DemoPreset.Parameters with { Width = 384, Height = 384 };
        return new InversionSubmission(image ?? TestImages.Coffee(), "coffee.png", "a cup of coffee", "demo-sd-turbo", change?.Invoke(parameters) ?? parameters);
    }

    [Fact]
    public async Task Costly_or_out_of_range_submissions_are_refused_before_queuing_naming_parameter_value_and_limit()
    {
        var (_, owner) = await factory.NewBrowserAsync();
        (InversionSubmission Submission, string[] Message)[] cases =
        [
            (Submission(p => p with { RenoiseSteps = 100000 }), ["Renoise steps R must be at most 100, got 100000"]),
            (Submission(p => p with { RegularizationSteps = 10000 }), ["Regularization steps must be at most 100, got 10000"]),
            (Submission(p => p with { AcRolls = 1000 }), ["AC rolls must be at most 100, got 1000"]),
            (Submission(p => p with { InversionGuidance = 1e9 }), ["Inversion guidance must be a number from 0 to 30, got 1000000000"]),
            (Submission(p => p with { InversionSteps = 1001 }), ["Inversion steps N must be at most 1000, got 1001"]),
            // Within every bound, over the budget: 100 steps x (R = 9 + 1) calls + corrections + reconstruction.
            (Submission(p => p with { InversionSteps = 100 }), ["model calls; the limit is 400 per job", "Inversion steps N = 100", "Renoise steps R = 9"]),
        ];
        foreach (var (submission, messages) in cases)
        {
            var result = await Queue.SubmitInversionAsync(owner, submission);
            Assert.Null(result.JobId);
            foreach (string message in messages) Assert.Contains(message, result.Error);
        }
        Assert.Empty(await factory.WithStoreAsync(s => s.ListRecentJobsAsync(owner, 50)));
        Assert.Equal(0, Queue.ActiveCountOf(owner));
    }

    [Fact]
    public async Task A_session_at_its_quota_of_three_is_refused_and_another_session_still_gets_in()
    {
        using var slow = new StudioFactory(null, new() { ["ReNoise:Jobs:ConcurrencyPerModel"] = "1", ["ReNoise:Jobs:MaxModelCalls"] = "100000" });
        var (_, owner) = await slow.NewBrowserAsync();
        var queue = slow.Services.GetRequiredService<JobQueue>();
        // A long first job holds the model, so the next ones wait in line.
        var longJob = await queue.SubmitInversionAsync(owner, Submission(p => p with { InversionSteps = 500, RenoiseSteps = 20 }));
        var second = await queue.SubmitInversionAsync(owner, Submission());
        var third = await queue.SubmitInversionAsync(owner, Submission());
        var fourth = await queue.SubmitInversionAsync(owner, Submission());

        Assert.NotNull(longJob.JobId);
        Assert.NotNull(second.JobId);
        Assert.NotNull(third.JobId);
        Assert.Null(fourth.JobId);
        Assert.StartsWith("You already have 3 jobs queued or running", fourth.Error);
        Assert.Equal(3, (await slow.WithStoreAsync(s => s.ListRecentJobsAsync(owner, 10))).Count);
        var (_, other) = await slow.NewBrowserAsync();
        var theirs = await queue.SubmitInversionAsync(other, Submission());
        Assert.NotNull(theirs.JobId);

        // Cancelling one frees a place.
        Assert.True(await queue.CancelAsync(owner, third.JobId!.Value));
        var again = await queue.SubmitInversionAsync(owner, Submission());
        Assert.NotNull(again.JobId);
        await queue.CancelAsync(other, theirs.JobId!.Value);
        foreach (var id in new[] { again.JobId!.Value, second.JobId!.Value, longJob.JobId!.Value }) await queue.CancelAsync(owner, id);
    }

    [Fact]
    public async Task A_job_over_its_time_limit_is_stopped_and_fails_saying_so()
    {
        using var strict = new StudioFactory(null, new() { ["ReNoise:Jobs:MaxJobSeconds"] = "1", ["ReNoise:Jobs:MaxModelCalls"] = "100000" });
        var (_, owner) = await strict.NewBrowserAsync();
        var queue = strict.Services.GetRequiredService<JobQueue>();
        var submitted = await queue.SubmitInversionAsync(owner, Submission(p => p with { InversionSteps = 800, RenoiseSteps = 20 }));

        var job = await Waiting.ForJobAsync(strict, owner, submitted.JobId!.Value, TimeSpan.FromSeconds(60), JobStatus.Done, JobStatus.Failed, JobStatus.Cancelled);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal("The job took longer than 1 s, the limit per job, and was stopped; nothing was saved. Fewer steps or renoise steps make it shorter.", job.Error);
        Assert.Empty(await strict.WithStoreAsync(s => s.ListInversionsAsync(owner)));
    }

    /// <summary>A real 8192 x 8192 PNG (67 megapixels) of a few hundred KB: all-black rows, deflated.</summary>
    private static readonly Lazy<byte[]> Bomb = new(() =>
    {
        const int side = 8192;
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, side);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), side);
        ihdr[8] = 8;
        ihdr[9] = 2;
        Chunk(png, "IHDR", ihdr);
        var data = new MemoryStream();
        using (var z = new ZLibStream(data, CompressionLevel.Optimal, leaveOpen: true))
        {
            var row = new byte[1 + side * 3];
            for (int y = 0; y < side; y++) z.Write(row);
        }
        Chunk(png, "IDAT", data.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();

        static void Chunk(Stream s, string type, byte[] body)
        {
            Span<byte> word = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(word, body.Length);
            s.Write(word);
            byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. body];
            s.Write(typed);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
            s.Write(word);
        }

        static uint Crc32(ReadOnlySpan<byte> bytes)
        {
            uint crc = 0xFFFFFFFF;
            foreach (byte b in bytes)
            {
                crc ^= b;
                for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
            return ~crc;
        }
    });

    [Fact]
    public async Task Decompression_bombs_are_refused_from_their_header_eight_at_once_without_decoding()
    {
        byte[] bomb = Bomb.Value;
        Assert.InRange(bomb.Length, 1, 1_000_000);
        var (_, owner) = await factory.NewBrowserAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Queue.SubmitInversionAsync(owner, Submission(image: bomb))));

        Assert.All(results, r => Assert.Equal("'coffee.png': image is 8192x8192 pixels (67.1 megapixels); the limit is 40 megapixels", r.Error));
        Assert.Empty(await factory.WithStoreAsync(s => s.ListRecentJobsAsync(owner, 10)));

        // The refusal comes from the header: decoding would allocate 256 MB on this thread, refusing allocates next to nothing.
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var stream = new MemoryStream(bomb, writable: false))
            Assert.Throws<ReNoise.Engine.ReNoiseInputException>(() => ReNoise.Engine.Imaging.ImageLoader.Load(stream, 384, 384, "bomb.png"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8L * 1024 * 1024, $"{allocated / 1e6:0.0} MB allocated while refusing a bomb");
    }

    [Fact]
    public async Task Uploads_decode_at_most_the_configured_number_at_once()
    {
        var options = Microsoft.Extensions.Options.Options.Create(TestServices.Options(o => o.Uploads.DecodeConcurrency = 1));
        using var validator = new UploadValidator(options, TestServices.Catalog(), new JobBudget(options));
        int most = 0;
        var decodes = Enumerable.Range(0, 6).Select(_ => validator.PrepareAsync(TestImages.Astronaut(), "astronaut.png", 384, 384)).ToList();
        while (decodes.Any(d => !d.IsCompleted))
        {
            most = Math.Max(most, validator.DecodesInFlight);
            await Task.Delay(1);
        }
        await Task.WhenAll(decodes);
        Assert.Equal(1, most);
        Assert.All(decodes, d => Assert.Equal((384, 384), (d.Result.Width, d.Result.Height)));
    }

    [Fact]
    public async Task The_job_keeps_only_the_working_size_png_and_drops_it_when_done()
    {
        var (_, owner) = await factory.NewBrowserAsync();
        byte[] upload = TestImages.Astronaut();
        var submitted = await Queue.SubmitInversionAsync(owner, Submission(image: upload));
        Guid id = submitted.JobId!.Value;
        var kept = await factory.WithStoreAsync(s => s.GetJobInputImageAsync(owner, id));
        if (kept is not null) // unless the demo already finished it
        {
            using var image = SixLabors.ImageSharp.Image.Load(kept);
            Assert.Equal((384, 384), (image.Width, image.Height));
            Assert.NotEqual(upload, kept);
        }
        var job = await Waiting.ForJobAsync(factory, owner, id, TimeSpan.FromSeconds(90), JobStatus.Done, JobStatus.Failed);
        Assert.True(job.Status == JobStatus.Done, job.Error);
        Assert.Null(await factory.WithStoreAsync(s => s.GetJobInputImageAsync(owner, id)));
    }

    [Fact]
    public async Task Queued_jobs_show_a_wait_estimate_once_the_model_has_a_measured_pace()
    {
        var pace = new ModelPace();
        Assert.Null(pace.SecondsPerCall("demo-sd-turbo"));
        pace.Record("demo-sd-turbo", TimeSpan.FromSeconds(4), 40);
        Assert.Equal(0.1, pace.SecondsPerCall("demo-sd-turbo")!.Value, 6);
        pace.Record("demo-sd-turbo", TimeSpan.FromSeconds(8), 40);
        Assert.Equal(0.13, pace.SecondsPerCall("demo-sd-turbo")!.Value, 6); // 0.7 x 0.1 + 0.3 x 0.2

        using var slow = new StudioFactory(null, new() { ["ReNoise:Jobs:MaxModelCalls"] = "100000" });
        var (_, owner) = await slow.NewBrowserAsync();
        var queue = slow.Services.GetRequiredService<JobQueue>();
        var hub = slow.Services.GetRequiredService<JobProgressHub>();
        var first = await queue.SubmitInversionAsync(owner, Submission());
        await Waiting.ForJobAsync(slow, owner, first.JobId!.Value, TimeSpan.FromSeconds(90), JobStatus.Done);
        var running = await queue.SubmitInversionAsync(owner, Submission(p => p with { InversionSteps = 500, RenoiseSteps = 20 }));
        var waiting = await queue.SubmitInversionAsync(owner, Submission());

        // Until the long job has started, the waiting one is second in line (its estimate already set).
        await Waiting.UntilAsync(() => hub.Get(waiting.JobId!.Value) is { Phase: JobPhase.Queued, EstimatedWait: not null, QueuePosition: 1 },
            TimeSpan.FromSeconds(30), "a wait estimate, first in line");
        var estimate = hub.Get(waiting.JobId!.Value)!;
        Assert.Equal(1, estimate.QueuePosition);
        Assert.True(estimate.EstimatedWait > TimeSpan.Zero);
        await queue.CancelAsync(owner, waiting.JobId!.Value);
        await queue.CancelAsync(owner, running.JobId!.Value);
    }
}

/// <summary>Session rows, security headers and proxies.</summary>
public sealed class SessionAndHeaderTests(StudioFactory factory) : IClassFixture<StudioFactory>
{
    private async Task<int> SessionCountAsync()
    {
        var contexts = factory.Services.GetRequiredService<IDbContextFactory<ReNoiseDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await db.Sessions.CountAsync();
    }

    [Fact]
    public async Task Only_the_studio_and_gallery_create_a_session_not_404s_images_api_or_share_pages()
    {
        using var client = factory.CreateClient(new() { HandleCookies = false, AllowAutoRedirect = false });
        _ = factory.Server;
        int before = await SessionCountAsync();
        string[] urls =
        [
            "/no-such-page", "/api/inversions/" + Guid.NewGuid() + "/input.png", "/api/nothing", "/s/no-such-token",
            "/s/no-such-token/input.png", "/jobs/" + Guid.NewGuid(), "/inversions/" + Guid.NewGuid(), "/healthz", "/favicon.svg", "/not-found",
        ];
        for (int round = 0; round < 5; round++)
            foreach (string url in urls)
            {
                using var response = await client.GetAsync(url);
                Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("renoise_session=", StringComparison.Ordinal)),
                    $"{url} set a session cookie");
            }
        Assert.Equal(before, await SessionCountAsync());

        using (var studio = await client.GetAsync("/"))
            Assert.Contains(studio.Headers.GetValues("Set-Cookie"), c => c.StartsWith("renoise_session=", StringComparison.Ordinal));
        using (var gallery = await client.GetAsync("/gallery"))
            Assert.Contains(gallery.Headers.GetValues("Set-Cookie"), c => c.StartsWith("renoise_session=", StringComparison.Ordinal));
        Assert.Equal(before + 2, await SessionCountAsync());
    }

    [Fact]
    public async Task A_known_session_is_kept_without_a_write_per_page_view()
    {
        var (browser, owner) = await factory.NewBrowserAsync();
        int before = await SessionCountAsync();
        factory.Writes.Failing = true;
        try
        {
            // A full disk: the pages a session reads still render.
            using var gallery = await browser.GetAsync("/gallery");
            Assert.Equal(HttpStatusCode.OK, gallery.StatusCode);
            Assert.Contains("Gallery", await gallery.Content.ReadAsStringAsync());
            Assert.False(gallery.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("renoise_session=", StringComparison.Ordinal)));
        }
        finally
        {
            factory.Writes.Failing = false;
        }
        Assert.Equal(before, await SessionCountAsync());
        Assert.NotEqual(Guid.Empty, owner);
    }

    [Fact]
    public async Task Pages_and_files_carry_csp_nosniff_referrer_policy_and_no_framing()
    {
        var (browser, _) = await factory.NewBrowserAsync();
        foreach (string url in new[] { "/", "/gallery", "/favicon.svg", "/healthz", "/no-such-page" })
        {
            using var response = await browser.GetAsync(url);
            Assert.Equal(ReNoise.Web.Hosting.SecurityHeaders.ContentSecurityPolicy, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", string.Join(",", response.Headers.GetValues("Referrer-Policy")));
            Assert.Equal("DENY", string.Join(",", response.Headers.GetValues("X-Frame-Options")));
        }
        string csp = ReNoise.Web.Hosting.SecurityHeaders.ContentSecurityPolicy;
        Assert.Contains("script-src 'self';", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
    }

    [Fact]
    public async Task The_session_cookie_is_secure_behind_a_configured_tls_proxy_only()
    {
        using var proxied = new StudioFactory(null, new() { ["ReNoise:ForwardedHeaders:KnownProxies:0"] = "10.1.2.3" });
        _ = proxied.Server;

        async Task<string> CookieVia(string proxy)
        {
            var context = await proxied.Server.SendAsync(c =>
            {
                c.Request.Method = "GET";
                c.Request.Path = "/";
                c.Request.Headers["X-Forwarded-Proto"] = "https";
                c.Request.Headers["X-Forwarded-For"] = "198.51.100.7";
                c.Connection.RemoteIpAddress = IPAddress.Parse(proxy);
            });
            return context.Response.Headers.SetCookie.ToString();
        }

        Assert.Contains("secure", await CookieVia("10.1.2.3"), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", await CookieVia("10.9.9.9"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Housekeeping_expires_stale_empty_sessions_and_keeps_the_others()
    {
        var store = factory.Services.GetRequiredService<GalleryStore>();
        Guid empty = await store.CreateSessionAsync();
        Guid withContent = await store.CreateSessionAsync();
        await store.AddInversionAsync(withContent, TestServices.Inversion("kept"));
        var contexts = factory.Services.GetRequiredService<IDbContextFactory<ReNoiseDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync())
            await db.Sessions.Where(s => s.Id == empty || s.Id == withContent)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, DateTime.UtcNow.AddDays(-40)));

        await factory.Services.GetRequiredService<ReNoise.Web.Hosting.StudioHousekeeping>().RunOnceAsync();

        Assert.False(await store.TouchSessionAsync(empty));
        Assert.True(await store.TouchSessionAsync(withContent));
    }
}
