using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ReNoise.TestSupport;

/// <summary>
/// A disk that fills up on demand: while <see cref="Failing"/> is set, every command that writes
/// (INSERT, UPDATE, DELETE, a write-ahead checkpoint) fails with SQLite's "database or disk is full"
/// (SQLITE_FULL), as on a full filesystem; reads go through. Added to the contexts as an interceptor.
/// </summary>
public sealed class FailingWrites : DbCommandInterceptor
{
    private const int SqliteFull = 13;
    private volatile bool _failing;
    private int _failed;

    public bool Failing
    {
        get => _failing;
        set => _failing = value;
    }

    /// <summary>Writes refused so far.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>When set, only writes whose SQL contains this text fail (e.g. one table).</summary>
    public string? OnlyWhenSqlContains { get; set; }

    /// <summary>
    /// With <see cref="OnlyWhenSqlContains"/>: once a matching write has failed, every write fails (the
    /// disk filled up at that moment), so a test can fill it at an exact point of a job.
    /// </summary>
    public bool FillUpAtFirstFailure { get; set; }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    private void Check(DbCommand command)
    {
        if (!_failing || !Writes(command.CommandText)) return;
        if (OnlyWhenSqlContains is { } only && !command.CommandText.Contains(only, StringComparison.Ordinal)) return;
        if (FillUpAtFirstFailure) OnlyWhenSqlContains = null;
        Interlocked.Increment(ref _failed);
        throw new SqliteException("SQLite Error 13: 'database or disk is full'.", SqliteFull);
    }

    // EF writes SQL keywords in upper case and quotes names, so "CreatedAt" is no CREATE.
    private static readonly Regex WriteStatement = new(@"\b(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\b|wal_checkpoint", RegexOptions.CultureInvariant);

    private static bool Writes(string sql) => WriteStatement.IsMatch(sql);
}
