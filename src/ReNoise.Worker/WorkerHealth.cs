using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ReNoise.Jobs;

namespace ReNoise.Worker;

/// <summary>Healthy once every model this worker serves has loaded (<see cref="ModelWarmUp"/>); unhealthy, naming it, when one failed.</summary>
public sealed class ModelsLoadedCheck(ModelWarmUp warmUp) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = warmUp.State;
        return Task.FromResult(state.Failed.Count > 0
            ? HealthCheckResult.Unhealthy($"model(s) failed to load: {string.Join("; ", state.Failed)}")
            : state.Loaded.Count < warmUp.Expected
                ? HealthCheckResult.Degraded($"loading models: {state.Loaded.Count} of {warmUp.Expected} ready")
                : HealthCheckResult.Healthy($"models ready: {string.Join(", ", state.Loaded)}"));
    }
}

/// <summary>
/// Loads every model the worker serves at start-up (and opens its sessions with a tiny plan), so the first
/// job does not pay for it and /healthz says when the worker is ready.
/// </summary>
public sealed class ModelWarmUp(IModelCatalog catalog, ILogger<ModelWarmUp> logger) : BackgroundService
{
    private volatile WarmState _state = new([], []);

    public WarmState State => _state;

    public int Expected => catalog.Models.Count;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        foreach (var model in catalog.Models)
        {
            if (stoppingToken.IsCancellationRequested) return;
            try
            {
                using var lease = catalog.Acquire(model.Name);
                _state = _state with { Loaded = [.. _state.Loaded, model.Name] };
                logger.LogInformation("Model {Model} loaded ({Path}); serving its queue", model.Name, model.Path);
            }
            catch (Exception e)
            {
                _state = _state with { Failed = [.. _state.Failed, $"{model.Name}: {e.Message}"] };
                logger.LogError(e, "Model {Model} failed to load", model.Name);
            }
        }
    }, stoppingToken);

    public sealed record WarmState(IReadOnlyList<string> Loaded, IReadOnlyList<string> Failed);
}

/// <summary>/healthz: the status word with 200 or 503; from this machine also each check, the models and the jobs running here.</summary>
public static class WorkerHealth
{
    public const string Path = "/healthz";

    public static HealthCheckOptions Options { get; } = new()
    {
        ResponseWriter = WriteAsync,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
    };

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (context.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync(report.Status.ToString());
        }
        var catalog = context.RequestServices.GetRequiredService<IModelCatalog>();
        var running = context.RequestServices.GetRequiredService<RunningJobs>();
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
            models = catalog.Models.Select(m => new { m.Name, m.Concurrency }),
            running = running.Ids,
            pid = Environment.ProcessId,
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
    }
}
