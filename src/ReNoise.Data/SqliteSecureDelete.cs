using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ReNoise.Data;

/// <summary>
/// Turns on SQLite's <c>secure_delete</c> for every connection: deleted rows are overwritten with
/// zeros in the file instead of lingering in free pages, so deleting a photo deletes its bytes.
/// The pragma is per connection, hence on every open.
/// </summary>
internal sealed class SqliteSecureDelete : DbConnectionInterceptor
{
    public static readonly SqliteSecureDelete Instance = new();

    private const string Pragma = "PRAGMA secure_delete = ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
