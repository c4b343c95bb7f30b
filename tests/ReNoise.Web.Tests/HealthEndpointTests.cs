using System.Net;
using System.Text.Json;
using ReNoise.Web.Tests.Integration;

namespace ReNoise.Web.Tests;

public sealed class HealthEndpointTests(StudioFactory factory) : IClassFixture<StudioFactory>
{
    [Fact]
    public async Task Healthz_reports_the_onnx_runtime_and_its_cpu_provider()
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
        Assert.StartsWith("1.", json.RootElement.GetProperty("onnxRuntime").GetString());
        var providers = json.RootElement.GetProperty("executionProviders").EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.Contains("CPUExecutionProvider", providers);
    }
}
