using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ReNoise.Hosting;
using ReNoise.Web.Services;

namespace ReNoise.Web.Hosting;

/// <summary>
/// <c>/healthz</c>: anyone gets the status word ("Healthy", "Unhealthy") with 200 or 503; a request
/// from this machine also gets each check's description and the model settings. Nothing names the
/// ONNX Runtime build or lists providers it could not load.
/// </summary>
public static class StudioHealth
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

    /// <summary>A request from this machine (no remote address: an in-process test host).</summary>
    public static bool IsLocal(HttpContext context) =>
        context.Connection.RemoteIpAddress is not { } remote || IPAddress.IsLoopback(remote);

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (!IsLocal(context))
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync(report.Status.ToString());
        }
        var settings = context.RequestServices.GetRequiredService<IOptions<ReNoiseSettings>>().Value;
        var catalog = context.RequestServices.GetRequiredService<IModelCatalog>();
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
            executionProvider = settings.ExecutionProvider,
            models = catalog.Models.Select(m => m.Name),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
    }
}
