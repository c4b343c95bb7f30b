using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ReNoise.Data;

/// <summary>Start-up work on the database: create its folder, apply migrations, switch SQLite to WAL.</summary>
public static class ReNoiseDatabase
{
    public static async Task MigrateAsync(ReNoiseDbContext db, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        bool sqliteFile = false;
        if (db.Database.IsSqlite())
        {
            var dataSource = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
            sqliteFile = dataSource.Length > 0 && dataSource != ":memory:";
            if (sqliteFile && Path.GetDirectoryName(Path.GetFullPath(dataSource)) is { Length: > 0 } folder)
                Directory.CreateDirectory(folder);
        }

        await db.Database.MigrateAsync(cancellationToken);

        if (sqliteFile)
            await EnableWriteAheadLogAsync(db, cancellationToken);
    }

    /// <summary>
    /// WAL lets the web app read the gallery while a job writes its result. The mode is stored in
    /// the database file, so setting it once after migrating covers every later connection.
    /// </summary>
    private static async Task EnableWriteAheadLogAsync(ReNoiseDbContext db, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            var mode = (string?)await command.ExecuteScalarAsync(cancellationToken);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"SQLite refused WAL journal mode for {connection.DataSource} (journal_mode is '{mode}').");
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
