using Microsoft.EntityFrameworkCore.Design;

namespace ReNoise.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a host; no connection is opened.</summary>
internal sealed class ReNoiseDesignTimeDbContextFactory : IDesignTimeDbContextFactory<ReNoiseDbContext>
{
    public ReNoiseDbContext CreateDbContext(string[] args)
        => new(ReNoiseDatabaseSettings.ForSqliteFile(Path.GetFullPath(ReNoiseDatabaseSettings.DefaultPath)).CreateOptions());
}
