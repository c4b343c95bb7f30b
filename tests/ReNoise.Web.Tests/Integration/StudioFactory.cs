using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ReNoise.Data;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Tests.Integration;

/// <summary>The real app (Program) on a temporary SQLite file, CPU execution, the bundled demo model.</summary>
public sealed class StudioFactory : WebApplicationFactory<Program>
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

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ReNoise:Database:Path", _database.Path);
        builder.UseSetting("ReNoise:ExecutionProvider", "Cpu");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
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
