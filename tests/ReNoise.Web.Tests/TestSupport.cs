using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Hosting;
using ReNoise.Web.Services;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using ReNoise.TestSupport;

namespace ReNoise.Web.Tests;

/// <summary>Upload bodies: a real photo, and the kinds of bad input the studio must refuse.</summary>
internal static class TestImages
{
    public static byte[] Astronaut() => File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "images", "astronaut.png"));

    public static byte[] Coffee() => File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "images", "coffee.png"));

    /// <summary>The first half of a valid PNG: the header decodes, the pixel data ends early.</summary>
    public static byte[] TruncatedPng()
    {
        var png = Coffee();
        return png[..(png.Length / 2)];
    }

    public static byte[] Text() => "this is a shopping list, not a picture"u8.ToArray();

    /// <summary>A valid PNG wider than the 8192 px limit.</summary>
    public static byte[] TooWide()
    {
        using var image = new Image<Rgb24>(8200, 8);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}

/// <summary>A SQLite file in a fresh temp folder, deleted afterwards.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "renoise-web-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }
    public string Path => System.IO.Path.Combine(Folder, "renoise.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A handle still closing; the temp folder is cleaned by the OS eventually.
        }
    }
}

internal sealed class TestHostEnvironment : IHostEnvironment
{
    public string EnvironmentName { get; set; } = Environments.Production;
    public string ApplicationName { get; set; } = "ReNoise.Web";
    public string ContentRootPath { get; set; } = TestPaths.WebProject;
    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}

internal static class TestServices
{
    public static StudioOptions Options(Action<StudioOptions>? change = null)
    {
        var options = new StudioOptions();
        change?.Invoke(options);
        return options;
    }

    /// <summary>The catalog over <paramref name="settings"/> (none: the bundled demo), content root src/ReNoise.Web.</summary>
    public static ConfiguredModelCatalog Catalog(ReNoiseSettings? settings = null, StudioOptions? options = null, ILogger<ConfiguredModelCatalog>? logger = null) =>
        new(settings ?? new ReNoiseSettings(), Microsoft.Extensions.Options.Options.Create(options ?? Options()), new TestHostEnvironment(),
            logger ?? NullLogger<ConfiguredModelCatalog>.Instance);

    /// <summary>The data layer on a temp SQLite file, migrated.</summary>
    public static async Task AddMigratedDataAsync(IServiceCollection services, TempDatabase database)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ReNoise:Database:Path"] = database.Path })
            .Build();
        services.AddReNoiseData(configuration, database.Folder);
        await using var provider = services.BuildServiceProvider();
        await provider.ApplyReNoiseMigrationsAsync();
    }

    /// <summary>A small but complete inversion row (tensors of the demo's shapes, tiny PNGs).</summary>
    public static NewInversion Inversion(string prompt, double? psnr = 20.5, string model = "demo-sd-turbo")
    {
        const int length = 4 * 6 * 6;
        var png = TinyPng();
        var row = new Inversion
        {
            ModelName = model,
            ModelPath = "/models/demo",
            ModelFamily = "Sd2",
            Prompt = prompt,
            SchedulerName = "euler-ancestral",
            ParametersJson = """{"steps":4,"renoiseSteps":9,"firstStepRenoiseCap":5,"strength":1,"average":true,"averageFirst":"0:5","averageRest":"8:10","guidance":0,"lambdaAc":20,"lambdaKl":0.065,"regSteps":4,"acRolls":5,"noiseCorrection":"exact","seed":7865}""",
            TimestepsJson = "[999,749,499,249]",
            StartIndex = 0,
            Width = 48,
            Height = 48,
            SourceFileName = "photo.png",
            LatentShape = "1,4,6,6",
            NoiseShape = "4,1,4,6,6",
            ResidualsJson = """[{"timestep":249,"values":[0.1,0.01]},{"timestep":499,"values":[0.2,0.05]}]""",
            Psnr = psnr,
            Ssim = psnr is null ? null : 0.5,
            Nfe = 40,
            InversionMs = 1234,
        };
        return new NewInversion(row, new InversionFiles(
            InputPng: png,
            ReconstructionPng: png,
            ThumbnailPng: png,
            Latent: FloatBlob.ToBytes(Enumerable.Range(0, length).Select(i => i * 0.01f).ToArray()),
            CleanLatent: FloatBlob.ToBytes(new float[length]),
            NoiseMaps: FloatBlob.ToBytes(new float[4 * length])));
    }

    public static byte[] TinyPng()
    {
        using var image = new Image<Rgb24>(8, 8, new Rgb24(200, 80, 40));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}

/// <summary>A logger that keeps what was logged (level and formatted message), for asserting on start-up reports.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get { lock (_entries) return [.. _entries]; }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries) _entries.Add((logLevel, formatter(state, exception)));
    }
}

/// <summary>A logger provider that keeps every entry, for asserting on what the app logs.</summary>
public sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly List<(string Category, LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries
    {
        get { lock (_entries) return [.. _entries]; }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ListLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            lock (owner._entries) owner._entries.Add((category, logLevel, formatter(state, exception)));
        }
    }
}
