using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace ReNoise.Data;

public enum DatabaseProvider
{
    /// <summary>One file beside the app: the embedded default.</summary>
    Sqlite,
    /// <summary>A PostgreSQL server shared by every web node and worker: the distributed mode.</summary>
    Postgres,
}

/// <summary>
/// Where the gallery database lives and which provider talks to it, resolved once from
/// <see cref="ReNoiseDatabaseOptions"/>. This is the one place that knows about providers: <see cref="Configure"/>.
/// </summary>
/// <remarks>
/// Configuration keys (section <c>ReNoise:Database</c>):
/// <c>Provider</c> ("Sqlite", the default, or "Postgres"),
/// <c>Path</c> (SQLite's file; relative paths are taken from the content root; default <c>App_Data/renoise.db</c>) and
/// <c>ConnectionString</c> (PostgreSQL's). Each provider has its own migration set: SQLite's in this assembly,
/// PostgreSQL's in <see cref="PostgresMigrationsAssembly"/> (docs/scale-out.md: adding a migration).
/// </remarks>
public sealed record ReNoiseDatabaseSettings(DatabaseProvider Provider, string ConnectionString, string? FilePath)
{
    public const string SectionName = ReNoiseDatabaseOptions.SectionName;
    public const string DefaultPath = ReNoiseDatabaseOptions.DefaultPath;

    /// <summary>The assembly holding the PostgreSQL migrations (a host using PostgreSQL references it).</summary>
    public const string PostgresMigrationsAssembly = "ReNoise.Data.Postgres";

    /// <summary>How often, and for how long at most between tries, a PostgreSQL command is retried on a transient failure (a restart, a dropped connection).</summary>
    public static int PostgresRetryCount { get; set; } = 8;
    public static TimeSpan PostgresMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

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
            DatabaseProvider.Postgres => ForPostgres(options.ConnectionString
                ?? throw new InvalidOperationException($"{SectionName}:ConnectionString is required for PostgreSQL.")),
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

    public static ReNoiseDatabaseSettings ForPostgres(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new ReNoiseDatabaseSettings(DatabaseProvider.Postgres, connectionString, null);
    }

    public void Configure(DbContextOptionsBuilder options)
    {
        switch (Provider)
        {
            case DatabaseProvider.Sqlite:
                options.UseSqlite(ConnectionString, sqlite => sqlite.MigrationsAssembly(typeof(ReNoiseDbContext).Assembly.GetName().Name))
                    .AddInterceptors(SqliteSecureDelete.Instance);
                break;
            case DatabaseProvider.Postgres:
                // A restarted or briefly unreachable server is retried with back-off; the store runs its
                // transactions through the execution strategy so they are retried whole.
                options.UseNpgsql(ConnectionString, npgsql => npgsql
                    .MigrationsAssembly(PostgresMigrationsAssembly)
                    .EnableRetryOnFailure(PostgresRetryCount, PostgresMaxRetryDelay, null));
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
