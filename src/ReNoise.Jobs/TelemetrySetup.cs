using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ReNoise.Jobs;

/// <summary>Where traces and metrics go, <c>ReNoise:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "ReNoise:Telemetry";

    /// <summary>
    /// "None" (default), "Console" (development: printed to the log output) or "Otlp" (an OpenTelemetry
    /// collector, Jaeger, Prometheus' OTLP receiver...: <see cref="OtlpEndpoint"/>, or the standard
    /// <c>OTEL_EXPORTER_OTLP_*</c> environment variables).
    /// </summary>
    public string Exporter { get; set; } = "None";

    /// <summary>The collector's address, e.g. http://collector:4317 (gRPC); empty: the exporter's default or OTEL_EXPORTER_OTLP_ENDPOINT.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Seconds between two metric exports.</summary>
    public int MetricIntervalSeconds { get; set; } = 60;
}

public sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public static readonly string[] Exporters = ["None", "Console", "Otlp"];

    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var problems = new List<string>();
        if (!Exporters.Contains(options.Exporter, StringComparer.OrdinalIgnoreCase))
            problems.Add($"{TelemetryOptions.SectionName}:Exporter '{options.Exporter}' is not supported; supported: {string.Join(", ", Exporters)}");
        if (!string.IsNullOrEmpty(options.OtlpEndpoint)
            && !(Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"))
            problems.Add($"{TelemetryOptions.SectionName}:OtlpEndpoint '{options.OtlpEndpoint}' is not an http(s) URL");
        if (options.MetricIntervalSeconds < 1)
            problems.Add($"{TelemetryOptions.SectionName}:MetricIntervalSeconds must be at least 1, got {options.MetricIntervalSeconds}");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

public static class TelemetrySetup
{
    /// <summary>
    /// <see cref="JobTelemetry"/> and OpenTelemetry for this process (<paramref name="serviceName"/>: "renoise-web",
    /// "renoise-worker"): the studio's spans and metrics, MassTransit's (broker send/consume spans, its own
    /// metrics), plus what the host adds (<paramref name="tracing"/>, e.g. ASP.NET Core's requests), exported as
    /// <see cref="TelemetryOptions.Exporter"/> says. With "None" nothing is collected beyond the meters themselves.
    /// </summary>
    public static IServiceCollection AddReNoiseTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName,
        Action<TracerProviderBuilder>? tracing = null)
    {
        services.AddOptions<TelemetryOptions>().Bind(configuration.GetSection(TelemetryOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();
        services.AddSingleton<JobTelemetry>();

        var options = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        string exporter = options.Exporter.Trim().ToLowerInvariant();
        if (exporter is not ("console" or "otlp")) return services;

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}"))
            .WithTracing(t =>
            {
                t.AddSource(JobTelemetry.Name, "MassTransit");
                tracing?.Invoke(t);
                if (exporter == "console") t.AddConsoleExporter();
                else t.AddOtlpExporter(o => { if (!string.IsNullOrEmpty(options.OtlpEndpoint)) o.Endpoint = new Uri(options.OtlpEndpoint); });
            })
            .WithMetrics(m =>
            {
                m.AddMeter(JobTelemetry.Name, "MassTransit");
                var interval = (int)TimeSpan.FromSeconds(Math.Max(1, options.MetricIntervalSeconds)).TotalMilliseconds;
                if (exporter == "console")
                    m.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = interval);
                else
                    m.AddOtlpExporter((o, reader) =>
                    {
                        if (!string.IsNullOrEmpty(options.OtlpEndpoint)) o.Endpoint = new Uri(options.OtlpEndpoint);
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = interval;
                    });
            });
        return services;
    }
}
