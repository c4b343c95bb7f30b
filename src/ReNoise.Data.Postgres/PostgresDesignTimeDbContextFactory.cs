using Microsoft.EntityFrameworkCore.Design;

namespace ReNoise.Data.Postgres;

/// <summary>
/// Lets <c>dotnet ef migrations add NAME --project src/ReNoise.Data.Postgres</c> build the PostgreSQL model without a
/// server: adding a migration opens no connection (the connection string is never used).
/// </summary>
internal sealed class PostgresDesignTimeDbContextFactory : IDesignTimeDbContextFactory<ReNoiseDbContext>
{
    public ReNoiseDbContext CreateDbContext(string[] args)
        => new(ReNoiseDatabaseSettings.ForPostgres("Host=localhost;Database=renoise_design_time").CreateOptions());
}
