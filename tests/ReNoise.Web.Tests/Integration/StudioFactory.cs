using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReNoise.Data;
using ReNoise.Web.Sessions;
using ReNoise.TestSupport;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ReNoise.Web.Tests.Integration;

/// <summary>
/// The real app (Program) on a temporary SQLite file, CPU execution, the bundled demo model. Its
/// database contexts carry <see cref="Writes"/>, a disk that can be made "full" on demand.
/// </summary>
public class StudioFactory : WebApplicationFactory<Program>
{
    private readonly TempDatabase _database;
    private readonly bool _ownsDatabase;
    private readonly Dictionary<string, string> _settings;

    public StudioFactory() : this(null, null)
    {
    }

    internal StudioFactory(TempDatabase? database, Dictionary<string, string>? settings)
    {
        _ownsDatabase = database is null;
        _database = database ?? new TempDatabase();
        _settings = settings ?? [];
    }

    public string DatabasePath => _database.Path;

    /// <summary>Set <see cref="FailingWrites.Failing"/> to make the app's database writes fail as on a full disk.</summary>
    public FailingWrites Writes { get; } = new();

    /// <summary>Everything the app logged (category, level, message).</summary>
    public ListLoggerProvider Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ReNoise:Database:Path", _database.Path);
        builder.UseSetting("ReNoise:ExecutionProvider", "Cpu");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureServices(services => services.AddSingleton<IInterceptor>(Writes));
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
    }

    /// <summary>A browser: a client that keeps cookies, with its session created by a first page visit.</summary>
    public async Task<(HttpClient Client, Guid Owner)> NewBrowserAsync()
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true, AllowAutoRedirect = false });
        using var response = await client.GetAsync("/gallery");
        response.EnsureSuccessStatusCode();
        var cookie = response.Headers.GetValues("Set-Cookie").First(c => c.StartsWith(SessionCookie.Name + "=", StringComparison.Ordinal));
        var value = cookie[(SessionCookie.Name.Length + 1)..cookie.IndexOf(';')];
        return (client, Guid.Parse(value));
    }

    public Task<T> WithStoreAsync<T>(Func<GalleryStore, Task<T>> operation)
        => operation(Services.GetRequiredService<GalleryStore>());

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsDatabase) _database.Dispose();
    }
}

/// <summary>
/// The app with a job budget far above the default, for tests that need a job to run long (cancel
/// it mid-run, fill the queue behind it). The default budget has tests of its own.
/// </summary>
public sealed class LongJobsStudioFactory() : StudioFactory(null, new() { ["ReNoise:Jobs:MaxModelCalls"] = "100000", ["ReNoise:Jobs:MaxJobsPerSession"] = "10" });
