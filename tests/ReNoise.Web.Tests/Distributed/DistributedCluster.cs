extern alias worker;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Jobs.Distributed;
using ReNoise.TestSupport;
using ReNoise.Web.Jobs;
using WorkerProgram = worker::Program;

namespace ReNoise.Web.Tests.Distributed;

/// <summary>
/// A distributed deployment in one test process: two web nodes (the real app in Mode Distributed) and one GPU
/// worker (the real worker), on a fresh database of the test PostgreSQL server and the test RabbitMQ node
/// (<see cref="ClusterServices"/>). Started on first use, so a test without the servers is skipped, not failed.
/// </summary>
public sealed class DistributedCluster : IAsyncLifetime
{
    private readonly SemaphoreSlim _starting = new(1, 1);
    private string? _connectionString;

    public WebNode A { get; private set; } = null!;
    public WebNode B { get; private set; } = null!;
    public WebApplicationFactory<WorkerProgram> Worker { get; private set; } = null!;

    /// <summary>Jobs may be started twice: the attempt-limit test needs a low one.</summary>
    public const int MaxAttempts = 2;

    public async Task StartAsync()
    {
        Skip.If(ClusterServices.Postgres is null, ClusterServices.NoPostgres);
        Skip.If(ClusterServices.RabbitMq is null, ClusterServices.NoRabbitMq);
        await _starting.WaitAsync();
        try
        {
            if (_connectionString is not null) return;
            _connectionString = await ClusterServices.CreateDatabaseAsync();
            var settings = Settings();
            A = new WebNode(settings, "web-a");
            _ = A.Services; // the first node migrates the database
            B = new WebNode(settings, "web-b");
            _ = B.Services;
            Worker = new WebApplicationFactory<WorkerProgram>().WithWebHostBuilder(builder =>
            {
                foreach (var (key, value) in settings) builder.UseSetting(key, value);
                builder.UseSetting("ReNoise:NodeName", "worker-1");
            });
            _ = Worker.Services;
            // Ready when the worker consumes its model's queue.
            var bus = Worker.Services.GetRequiredService<IBusControl>();
            await bus.WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(60));
        }
        finally
        {
            _starting.Release();
        }
    }

    private Dictionary<string, string> Settings()
    {
        var (host, port) = ClusterServices.RabbitMq!.Value;
        return new()
        {
            ["ReNoise:Mode"] = "Distributed",
            ["ReNoise:Database:Provider"] = "Postgres",
            ["ReNoise:Database:ConnectionString"] = _connectionString!,
            ["ReNoise:Broker:Host"] = host,
            ["ReNoise:Broker:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ReNoise:Broker:QueuePollMs"] = "300",
            ["ReNoise:Broker:ProgressIntervalMs"] = "50",
            ["ReNoise:ExecutionProvider"] = "Cpu",
            ["ReNoise:Jobs:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ReNoise:Jobs:MaxModelCalls"] = "100000",
            ["ReNoise:Jobs:MaxJobsPerSession"] = "3",
        };
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_connectionString is null) return;
        await Worker.DisposeAsync();
        await B.DisposeAsync();
        await A.DisposeAsync();
        await ClusterServices.DropDatabaseAsync(_connectionString);
    }

    /// <summary>Polls the job's row (through node A's store) until it reaches one of <paramref name="statuses"/>.</summary>
    public async Task<JobInfo> WaitForJobAsync(Guid owner, Guid job, TimeSpan timeout, params JobStatus[] statuses)
    {
        var deadline = DateTime.UtcNow + timeout;
        JobInfo? info = null;
        while (DateTime.UtcNow < deadline)
        {
            info = await A.Store.GetJobAsync(owner, job);
            if (info is not null && statuses.Contains(info.Status)) return info;
            await Task.Delay(50);
        }
        throw new TimeoutException($"job {job} is {info?.Status.ToString() ?? "missing"} after {timeout}, expected {string.Join("/", statuses)}");
    }
}

/// <summary>One web node of the distributed test deployment.</summary>
public sealed class WebNode(Dictionary<string, string> settings, string name) : WebApplicationFactory<Program>
{
    public string Name { get; } = name;

    public JobQueue Queue => Services.GetRequiredService<JobQueue>();
    public JobProgressHub Hub => Services.GetRequiredService<JobProgressHub>();
    public GalleryStore Store => Services.GetRequiredService<GalleryStore>();
    public IBus Bus => Services.GetRequiredService<IBus>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.UseSetting("ReNoise:NodeName", Name);
    }

    /// <summary>Sends a job's message to its model queue as a web node would (what the broker then delivers to the worker).</summary>
    public async Task SendAsync(ReNoise.Jobs.Messages.RunJob message)
    {
        var endpoint = await Bus.GetSendEndpoint(BrokerNames.ModelQueueAddress(message.Model));
        await endpoint.Send(message);
    }
}
