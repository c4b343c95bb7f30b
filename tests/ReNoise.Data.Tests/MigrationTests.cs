using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ReNoise.Data.Tests;

public sealed class MigrationTests : IDisposable
{
    private readonly string _contentRoot = TestDatabase.NewFolder();

    public void Dispose() => TestDatabase.DeleteFolder(_contentRoot);

    private ServiceProvider BuildServices(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return new ServiceCollection().AddReNoiseData(configuration, _contentRoot).BuildServiceProvider();
    }

    [Fact]
    public async Task Migrations_create_the_configured_file_and_folder_and_leave_no_pending_model_changes()
    {
        await using var services = BuildServices(("ReNoise:Database:Path", "nested/dir/studio.db"));
        string expected = Path.Combine(_contentRoot, "nested", "dir", "studio.db");
        Assert.False(File.Exists(expected));

        await services.ApplyReNoiseMigrationsAsync();

        Assert.True(File.Exists(expected));
        await using var db = await services.GetRequiredService<IDbContextFactory<ReNoiseDbContext>>().CreateDbContextAsync();
        var all = db.Database.GetMigrations().ToList();
        Assert.NotEmpty(all);
        Assert.Equal(all, await db.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges());

        var tables = await db.Database
            .SqlQueryRaw<string>("SELECT name AS Value FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite^_%' ESCAPE '^' AND name NOT LIKE '^_^_EF%' ESCAPE '^'")
            .ToListAsync();
        Assert.Equal(["Edits", "Inversions", "Jobs", "Sessions", "ShareLinks"], tables.Order());
    }

    [Fact]
    public async Task Database_is_in_wal_mode_for_every_new_connection()
    {
        await using var services = BuildServices(("ReNoise:Database:Path", "wal.db"));
        await services.ApplyReNoiseMigrationsAsync();

        // A plain connection, outside EF, sees the mode persisted in the file.
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_contentRoot, "wal.db") }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
        SqliteConnection.ClearPool(connection);
    }

    [Fact]
    public async Task Migrating_again_after_a_restart_keeps_the_data()
    {
        Guid owner, inversion;
        await using (var first = BuildServices())
        {
            await first.ApplyReNoiseMigrationsAsync();
            var store = first.GetRequiredService<GalleryStore>();
            owner = await store.GetOrCreateSessionAsync(null);
            inversion = await store.AddInversionAsync(owner, Samples.Inversion());
        }

        await using var second = BuildServices();
        await second.ApplyReNoiseMigrationsAsync();
        var store2 = second.GetRequiredService<GalleryStore>();
        Assert.NotNull(await store2.GetInversionAsync(owner, inversion));
    }

    [Fact]
    public void Default_path_is_App_Data_under_the_content_root()
    {
        var settings = ReNoiseDatabaseSettings.FromConfiguration(new ConfigurationBuilder().Build(), _contentRoot);
        Assert.Equal(DatabaseProvider.Sqlite, settings.Provider);
        Assert.Equal(Path.Combine(_contentRoot, "App_Data", "renoise.db"), settings.FilePath);
        Assert.Equal(settings.FilePath, new SqliteConnectionStringBuilder(settings.ConnectionString).DataSource);
    }

    [Fact]
    public void Absolute_path_is_used_as_given()
    {
        string absolute = Path.Combine(_contentRoot, "elsewhere", "x.db");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("ReNoise:Database:Path", absolute), new("ReNoise:Database:Provider", "sqlite")])
            .Build();
        var settings = ReNoiseDatabaseSettings.FromConfiguration(configuration, "/somewhere/else");
        Assert.Equal(absolute, settings.FilePath);
    }

    [Fact]
    public void Unknown_provider_is_rejected_naming_the_key()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("ReNoise:Database:Provider", "Oracle")])
            .Build();
        var ex = Assert.Throws<InvalidOperationException>(() => ReNoiseDatabaseSettings.FromConfiguration(configuration, _contentRoot));
        Assert.Contains("ReNoise:Database:Provider", ex.Message);
        Assert.Contains("Oracle", ex.Message);
    }

    [Fact]
    public async Task Unknown_provider_fails_the_start_up_validation_naming_the_key()
    {
        await using var services = BuildServices(("ReNoise:Database:Provider", "Oracle"));
        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("ReNoise:Database:Provider", ex.Message);
        Assert.Contains("Oracle", ex.Message);
        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<ReNoiseDatabaseSettings>());
    }

    [Fact]
    public async Task Settings_come_from_the_bound_options()
    {
        await using var services = BuildServices(("ReNoise:Database:Path", "sub/bound.db"), ("ReNoise:Database:Provider", "SQLITE"));
        var options = services.GetRequiredService<IOptions<ReNoiseDatabaseOptions>>().Value;
        Assert.Equal(("SQLITE", "sub/bound.db"), (options.Provider, options.Path));
        var settings = services.GetRequiredService<ReNoiseDatabaseSettings>();
        Assert.Equal(DatabaseProvider.Sqlite, settings.Provider);
        Assert.Equal(Path.Combine(_contentRoot, "sub", "bound.db"), settings.FilePath);
    }
}
