using Npgsql;

namespace ReNoise.TestSupport;

/// <summary>
/// The real servers the distributed-mode tests need, as .ci/run passes them (it starts them on loopback with
/// <c>RENOISE_CLUSTER_SERVICES_ONLY=1 tools/cluster/start.sh</c>): <see cref="PostgresVariable"/>, a connection
/// string for a role that may create databases, and <see cref="RabbitMqVariable"/>, host:port of a RabbitMQ
/// node (guest/guest from loopback). When a variable is absent, the tests that need it are reported skipped.
/// </summary>
public static class ClusterServices
{
    public const string PostgresVariable = "RENOISE_TEST_POSTGRES";
    public const string RabbitMqVariable = "RENOISE_TEST_RABBITMQ";

    public static string? Postgres => Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value ? value : null;

    public static (string Host, int Port)? RabbitMq =>
        Environment.GetEnvironmentVariable(RabbitMqVariable) is { Length: > 0 } value && value.LastIndexOf(':') is > 0 and var colon
        && int.TryParse(value[(colon + 1)..], out int port)
            ? (value[..colon], port)
            : null;

    public static string NoPostgres => $"needs PostgreSQL: set {PostgresVariable} (.ci/run starts one: RENOISE_CLUSTER_SERVICES_ONLY=1 tools/cluster/start.sh)";

    public static string NoRabbitMq => $"needs RabbitMQ: set {RabbitMqVariable} (.ci/run starts one: RENOISE_CLUSTER_SERVICES_ONLY=1 tools/cluster/start.sh)";

    /// <summary>A new, empty database on the test server; returns its connection string. Drop it with <see cref="DropDatabaseAsync"/>.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var admin = new NpgsqlConnectionStringBuilder(Postgres ?? throw new InvalidOperationException(NoPostgres));
        string name = "renoise_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        NpgsqlConnection.ClearAllPools();
        var admin = new NpgsqlConnectionStringBuilder(Postgres!);
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {target.Database} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
