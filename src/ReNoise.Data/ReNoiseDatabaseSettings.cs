using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace ReNoise.Data;

public enum DatabaseProvider
{
    Sqlite,
}

/// <summary>
/// Where the gallery database lives and which provider talks to it, resolved once from
/// <see cref="ReNoiseDatabaseOptions"/>. This is the one place that knows about providers: <see cref="Configure"/>.
/// </summary>
/// <remarks>
/// Configuration keys (section <c>ReNoise:Database</c>):
/// <c>Provider</c> (only "Sqlite" is implemented; default Sqlite) and
/// <c>Path</c> (database file; relative paths are taken from the content root; default <c>App_Data/renoise.db</c>).
/// </remarks>
public sealed record ReNoiseDatabaseSettings(DatabaseProvider Provider, string ConnectionString, string? FilePath)
{
    public const string SectionName = ReNoiseDatabaseOptions.SectionName;
    public const string DefaultPath = ReNoiseDatabaseOptions.DefaultPath;

    /// <summary>Binds the <c>ReNoise:Database</c> section of <paramref name="configuration"/> and resolves it.</summary>
    public static ReNoiseDatabaseSettings FromConfiguration(IConfiguration configuration, string contentRootPath)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(SectionName).Get<ReNoiseDatabaseOptions>() ?? new ReNoiseDatabaseOptions();
        return FromOptions(options, contentRootPath);
    }

    /// <summary>Resolves the options: the provider, and the path against <paramref name="contentRootPath"/>.</summary>
    public static ReNoiseDatabaseSettings FromOptions(ReNoiseDatabaseOptions options, string contentRootPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(contentRootPath);
        if (options.ParseProvider(out var error) is not DatabaseProvider provider)
            throw new InvalidOperationException(error);

        string path = string.IsNullOrEmpty(options.Path) ? DefaultPath : options.Path;
        return provider switch
        {
            DatabaseProvider.Sqlite => ForSqliteFile(Path.GetFullPath(path, contentRootPath)),
            _ => throw new InvalidOperationException($"Database provider {provider} has no configuration."),
        };
    }

    public static ReNoiseDatabaseSettings ForSqliteFile(string fullPath)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // Cascade deletes of edits and share links rely on SQLite enforcing foreign keys.
            ForeignKeys = true,
        };
        return new ReNoiseDatabaseSettings(DatabaseProvider.Sqlite, builder.ToString(), fullPath);
    }

    public void Configure(DbContextOptionsBuilder options)
    {
        switch (Provider)
        {
            case DatabaseProvider.Sqlite:
                options.UseSqlite(ConnectionString, sqlite => sqlite.MigrationsAssembly(typeof(ReNoiseDbContext).Assembly.GetName().Name))
                    .AddInterceptors(SqliteSecureDelete.Instance);
                break;
            default:
                throw new InvalidOperationException($"Database provider {Provider} is not implemented.");
        }
    }

    public DbContextOptions<ReNoiseDbContext> CreateOptions()
    {
        var builder = new DbContextOptionsBuilder<ReNoiseDbContext>();
        Configure(builder);
        return builder.Options;
    }
}
