using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ReNoise.Data;

/// <summary>
/// Recognises the failures that mean "the database cannot be written" (a full disk, an I/O error, a
/// read-only file or folder), so callers can say so in one line instead of a stack trace.
/// </summary>
public static class StorageFailure
{
    // SQLite primary result codes (https://sqlite.org/rescode.html).
    private const int SqliteReadOnly = 8;
    private const int SqliteIoError = 10;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;

    /// <summary>A short description when <paramref name="exception"/> (or an inner one) is a storage failure; otherwise null.</summary>
    public static string? Describe(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException { SqliteErrorCode: SqliteFull }:
                    return "the disk holding the database is full";
                case SqliteException { SqliteErrorCode: SqliteIoError }:
                    return $"the database file could not be written ({e.Message})";
                case SqliteException { SqliteErrorCode: SqliteReadOnly }:
                    return "the database is read-only";
                case SqliteException { SqliteErrorCode: SqliteCantOpen }:
                    return "the database file cannot be opened";
                case PostgresException { SqlState: "53100" }: // disk_full
                    return "the disk holding the database is full";
                case PostgresException { SqlState: "25006" }: // read_only_sql_transaction
                    return "the database is read-only";
                case IOException io when io.HResult is unchecked((int)0x80070070) or 28: // ERROR_DISK_FULL, ENOSPC
                    return "the disk holding the database is full";
            }
        }
        return null;
    }

    public static bool Is(Exception? exception) => Describe(exception) is not null;

    /// <summary>
    /// True when the exception came from the database at all (its writes or reads, or, for PostgreSQL, an
    /// unreachable server once the retries are spent), storage or otherwise.
    /// </summary>
    public static bool IsDatabaseFailure(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is SqliteException or DbUpdateException or NpgsqlException) return true;
        return false;
    }
}
