using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using ReNoise.Data.Entities;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;

namespace ReNoise.Web.Tests.Integration;

/// <summary>The studio with OpenTelemetry's in-memory exporters on its meter and activity source, as an operator's collector would read them.</summary>
public sealed class TelemetryStudioFactory : StudioFactory
{
    public List<Metric> Metrics { get; } = [];
    public List<Activity> Spans { get; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddOpenTelemetry()
            .WithMetrics(m => m.AddMeter(JobTelemetry.Name).AddInMemoryExporter(Metrics))
            .WithTracing(t => t.AddSource(JobTelemetry.Name).AddInMemoryExporter(Spans)));
    }
}

/// <summary>
/// Alone: OpenTelemetry listens to every meter of this name in the process, so the other test
/// classes' studios running jobs at the same time would add their points to these.
/// </summary>
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTests(TelemetryStudioFactory factory) : IClassFixture<TelemetryStudioFactory>
{
    [Fact]
    public async Task A_job_emits_its_latency_queue_wait_time_per_model_call_and_the_queue_depth()
    {
        var (_, owner) = await factory.NewBrowserAsync();
        var queue = factory.Services.GetRequiredService<JobQueue>();
        var parameters = ConfiguredModelCatalog.DemoPreset.Parameters with { Width = 384, Height = 384 };
        var submitted = await queue.SubmitInversionAsync(owner, new InversionSubmission(TestImages.Astronaut(), "astronaut.png", "an astronaut", "demo-sd-turbo", parameters));
        Assert.Null(submitted.Error);
        var job = await Waiting.ForJobAsync(factory, owner, submitted.JobId!.Value, TimeSpan.FromSeconds(90), JobStatus.Done, JobStatus.Failed);
        Assert.Equal(JobStatus.Done, job.Status);

        Assert.True(factory.Services.GetRequiredService<MeterProvider>().ForceFlush());
        var byName = factory.Metrics.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.Last());
        // The queue is empty again: the gauge reads 0 for the model.
        var depth = Points(byName["renoise.queue.depth"]).Single();
        Assert.Equal(("demo-sd-turbo", 0.0), (depth.Tags["model"], depth.Sum));

        var duration = Points(byName["renoise.job.duration"]).Single();
        Assert.Equal("Done", duration.Tags["outcome"]);
        Assert.Equal("demo-sd-turbo", duration.Tags["model"]);
        Assert.Equal(1, duration.Count);
        Assert.True(duration.Sum > 0);

        var perCall = Points(byName["renoise.unet.call.duration"]).Single();
        Assert.Equal(("Invert", 1L), (perCall.Tags["job.kind"], perCall.Count));
        // ONNX Runtime's time over the job's 44 model calls (40 inversion, 4 reconstruction): a positive fraction of the job.
        Assert.InRange(perCall.Sum, 1e-6, duration.Sum);

        Assert.Equal(1, Points(byName["renoise.job.queue_wait"]).Single().Count);
        Assert.Contains(Points(byName["renoise.jobs.finished"]), p => (string?)p.Tags["outcome"] == "Done" && p.Sum == 1);

        var span = Assert.Single(factory.Spans, s => s.OperationName == "job.run" && Equals(s.GetTagItem("job.id"), job.Id));
        Assert.Equal(("Done", 1), (span.GetTagItem("job.outcome"), span.GetTagItem("job.attempt")));
    }

    private sealed record Point(IReadOnlyDictionary<string, object?> Tags, long Count, double Sum);

    private static List<Point> Points(Metric metric)
    {
        var points = new List<Point>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var tags = new Dictionary<string, object?>();
            foreach (var tag in point.Tags) tags[tag.Key] = tag.Value;
            points.Add(metric.MetricType switch
            {
                MetricType.Histogram => new Point(tags, point.GetHistogramCount(), point.GetHistogramSum()),
                MetricType.LongSum => new Point(tags, 1, point.GetSumLong()),
                MetricType.LongGauge => new Point(tags, 1, point.GetGaugeLastValueLong()),
                _ => new Point(tags, 1, point.GetSumDouble()),
            });
        }
        return points;
    }
}
