using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReNoise.Engine;
using ReNoise.Hosting;
using ReNoise.Engine.Models;
using ReNoise.TestSupport;

namespace ReNoise.Web.Tests.Hosting;

public sealed class ReNoiseSettingsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The settings as a host sees them: bound and validated by the Options pattern.</summary>
    private static ReNoiseSettings Bind(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddReNoiseModelSettings(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ReNoiseSettings>>().Value;
    }

    private IConfiguration Json(string json)
    {
        var path = _temp.File("appsettings.json");
        File.WriteAllText(path, json);
        return new ConfigurationBuilder().AddJsonFile(path).Build();
    }

    [Fact]
    public void TheSectionIsReadFromAppsettingsJson()
    {
        var configuration = Json("""
            {
              "Logging": { "LogLevel": { "Default": "Information" } },
              "ReNoise": {
                "ExecutionProvider": "CUDA",
                "CudaDeviceId": 1,
                "IntraOpThreads": 2,
                "DefaultModel": "lcm",
                "Models": [
                  { "Name": "sdxl-turbo", "Path": "models/sdxl-turbo-onnx", "Concurrency": 2 },
                  { "Name": "lcm", "Path": "/srv/models/lcm" },
                  { "Path": "no-name" }
                ]
              }
            }
            """);

        var settings = Bind(configuration);

        Assert.Equal("CUDA", settings.ExecutionProvider);
        Assert.Equal(1, settings.CudaDeviceId);
        Assert.Equal(2, settings.IntraOpThreads);
        Assert.Equal("lcm", settings.DefaultModel);
        Assert.Equal(["sdxl-turbo", "lcm", null], settings.Models.Select(m => m.Name));
        Assert.Equal(["models/sdxl-turbo-onnx", "/srv/models/lcm", "no-name"], settings.Models.Select(m => m.Path));
        Assert.Equal([2, null, null], settings.Models.Select(m => m.Concurrency));
        Assert.Equal(new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cuda, CudaDeviceId = 1, IntraOpThreads = 2 },
            settings.ToLoadOptions());
    }

    [Fact]
    public void AnAbsentSectionGivesAutoOnDeviceZeroAndNoModels()
    {
        var settings = Bind(Json("{}"));

        Assert.Equal(ModelLoadOptions.Default, settings.ToLoadOptions());
        Assert.Empty(settings.Models);
        Assert.Null(settings.DefaultModel);
    }

    [Fact]
    public void MoreThanTenModelsKeepTheirConfiguredOrder()
    {
        var values = new Dictionary<string, string?>();
        for (var i = 0; i < 12; i++) values[$"ReNoise:Models:{i}:Name"] = $"m{i}";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();

        var settings = Bind(configuration);

        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"m{i}"), settings.Models.Select(m => m.Name));
    }

    [Theory]
    [InlineData("gpu", "ReNoise:ExecutionProvider must be auto, cuda or cpu, got 'gpu'")]
    [InlineData("", "ReNoise:ExecutionProvider must be auto, cuda or cpu, got ''")]
    public void AnUnknownProviderNamesTheKey(string provider, string message)
    {
        var settings = new ReNoiseSettings { ExecutionProvider = provider };
        Assert.Equal(message, Assert.Throws<ReNoiseInputException>(settings.ToLoadOptions).Message);
    }

    [Fact]
    public void NumbersThatDoNotParseOrAreNegativeNameTheKey()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Bind(Json("""{ "ReNoise": { "CudaDeviceId": "first" } }""")));
        Assert.Contains("'ReNoise:CudaDeviceId'", e.Message);
        var entry = Assert.Throws<OptionsValidationException>(() =>
            Bind(Json("""{ "ReNoise": { "Models": [ { "Name": "a", "Path": "a", "Concurrency": "two" } ] } }""")));
        Assert.Equal("ReNoise:Models:0:Concurrency must be an integer, got 'two'", Assert.Single(entry.Failures));
        var invalid = Assert.Throws<OptionsValidationException>(() => Bind(Json("""{ "ReNoise": { "ExecutionProvider": "gpu" } }""")));
        Assert.Equal("ReNoise:ExecutionProvider must be auto, cuda or cpu, got 'gpu'", Assert.Single(invalid.Failures));

        Assert.Contains("ReNoise:CudaDeviceId",
            Assert.Throws<ReNoiseInputException>(new ReNoiseSettings { CudaDeviceId = -1 }.ToLoadOptions).Message);
        Assert.Contains("ReNoise:IntraOpThreads",
            Assert.Throws<ReNoiseInputException>(new ReNoiseSettings { IntraOpThreads = -2 }.ToLoadOptions).Message);
    }
}
