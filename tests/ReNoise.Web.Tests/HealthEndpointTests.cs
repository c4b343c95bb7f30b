using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using ReNoise.Web.Tests.Integration;

namespace ReNoise.Web.Tests;

public sealed class HealthEndpointTests(StudioFactory factory) : IClassFixture<StudioFactory>
{
    [Fact]
    public async Task Healthz_is_healthy_when_the_database_takes_a_write_and_details_stay_on_this_machine()
    {
        factory.Writes.Failing = false;
        using var client = factory.CreateClient();
        using var local = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        string body = await local.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", json.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        // Nothing about the ONNX Runtime build, nor providers that may not load.
        Assert.DoesNotContain("onnx", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("CUDA", body);
        Assert.DoesNotContain("TensorRT", body);

        var remote = await Remote("203.0.113.7");
        Assert.Equal(HttpStatusCode.OK, (HttpStatusCode)remote.Response.StatusCode);
        Assert.Equal("Healthy", await new StreamReader(remote.Response.Body).ReadToEndAsync());
    }

    [Fact]
    public async Task Healthz_is_unhealthy_while_the_database_cannot_be_written()
    {
        using var client = factory.CreateClient();
        factory.Writes.Failing = true;
        try
        {
            using var local = await client.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, local.StatusCode);
            using var json = JsonDocument.Parse(await local.Content.ReadAsStringAsync());
            Assert.Equal("Unhealthy", json.RootElement.GetProperty("status").GetString());
            Assert.Equal("the database cannot be written: the disk holding the database is full",
                json.RootElement.GetProperty("checks").GetProperty("database").GetProperty("description").GetString());

            var remote = await Remote("198.51.100.20");
            Assert.Equal(503, remote.Response.StatusCode);
            Assert.Equal("Unhealthy", await new StreamReader(remote.Response.Body).ReadToEndAsync());
        }
        finally
        {
            factory.Writes.Failing = false;
        }
        using var again = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    private Task<Microsoft.AspNetCore.Http.HttpContext> Remote(string address) =>
        factory.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = "/healthz";
            c.Connection.RemoteIpAddress = IPAddress.Parse(address);
        });
}
