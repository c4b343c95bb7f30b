using Microsoft.Extensions.Configuration;
using ReNoise.Data;
using ReNoise.Jobs.Distributed;

namespace ReNoise.Web.Tests.Services;

/// <summary>The distributed mode's pieces that need no server: names, modes and the settings checked at start-up.</summary>
public sealed class DistributedPartsTests
{
    [Theory]
    [InlineData("demo-sd-turbo", "renoise.model.demo-sd-turbo")]
    [InlineData("SD Turbo/v2", "renoise.model.sd_turbo_v2")]
    [InlineData("  LCM.Dreamshaper ", "renoise.model.lcm.dreamshaper")]
    public void A_model_queue_is_named_after_the_model_in_the_brokers_alphabet(string model, string queue)
    {
        Assert.Equal(queue, BrokerNames.ModelQueue(model));
        Assert.Equal(new Uri($"queue:{queue}"), BrokerNames.ModelQueueAddress(model));
    }

    [Theory]
    [InlineData(null, StudioMode.Embedded)]
    [InlineData("", StudioMode.Embedded)]
    [InlineData("distributed", StudioMode.Distributed)]
    [InlineData("Embedded", StudioMode.Embedded)]
    public void The_mode_defaults_to_embedded(string? value, StudioMode expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [StudioModes.Key] = value }).Build();
        Assert.Equal(expected, StudioModes.Read(configuration));
    }

    [Fact]
    public void An_unknown_mode_stops_the_start_up_naming_the_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [StudioModes.Key] = "cluster" }).Build();
        var e = Assert.Throws<InvalidOperationException>(() => StudioModes.Read(configuration));
        Assert.Equal("ReNoise:Mode 'cluster' is not supported; supported: Embedded, Distributed.", e.Message);
    }

    [Fact]
    public void Broker_telemetry_and_database_settings_that_cannot_work_are_named()
    {
        var broker = new BrokerOptionsValidator().Validate(null, new BrokerOptions { Host = "", Port = 70000, QueuePollMs = 10 });
        Assert.Equal(
            ["ReNoise:Broker:Host is empty", "ReNoise:Broker:Port must be from 1 to 65535, got 70000", "ReNoise:Broker:QueuePollMs must be at least 100, got 10"],
            broker.Failures);
        Assert.True(new BrokerOptionsValidator().Validate(null, new BrokerOptions()).Succeeded);

        var telemetry = new TelemetryOptionsValidator().Validate(null, new TelemetryOptions { Exporter = "Zipkin", OtlpEndpoint = "collector:4317" });
        Assert.Equal(
            ["ReNoise:Telemetry:Exporter 'Zipkin' is not supported; supported: None, Console, Otlp", "ReNoise:Telemetry:OtlpEndpoint 'collector:4317' is not an http(s) URL"],
            telemetry.Failures);
        Assert.True(new TelemetryOptionsValidator().Validate(null, new TelemetryOptions { Exporter = "otlp", OtlpEndpoint = "http://collector:4317" }).Succeeded);

        var database = new ReNoiseDatabaseOptionsValidator().Validate(null, new ReNoiseDatabaseOptions { Provider = "postgres" });
        Assert.Equal("ReNoise:Database:ConnectionString is required when ReNoise:Database:Provider is Postgres.", Assert.Single(database.Failures!));
        var settings = ReNoiseDatabaseSettings.FromOptions(new ReNoiseDatabaseOptions { Provider = "Postgres", ConnectionString = "Host=db;Database=renoise" }, "/app");
        Assert.Equal((DatabaseProvider.Postgres, (string?)null), (settings.Provider, settings.FilePath));
    }
}
