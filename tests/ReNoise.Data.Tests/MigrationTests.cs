using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
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
        Assert.Equal(["Edits", "HealthProbes", "InversionBlobs", "Inversions", "Jobs", "Sessions", "ShareLinks"], tables.Order());
    }

    [Fact]
    public async Task A_database_of_the_first_schema_migrates_keeping_every_image_and_tensor()
    {
        await using var services = BuildServices(("ReNoise:Database:Path", "old.db"));
        var contexts = services.GetRequiredService<IDbContextFactory<ReNoiseDbContext>>();
        Guid owner = Guid.NewGuid(), inversion = Guid.NewGuid(), deletedResultJob = Guid.NewGuid(), doneJob = Guid.NewGuid(), queuedJob = Guid.NewGuid();
        byte[] input = Samples.Bytes(100, 1), reconstruction = Samples.Bytes(90, 2), thumbnail = Samples.Bytes(20, 3);
        byte[] latent = FloatBlob.ToBytes(Samples.RandomFloats(4 * 8 * 8, 1)), noise = FloatBlob.ToBytes(Samples.RandomFloats(2 * 4 * 8 * 8, 2));
        await using (var db = await contexts.CreateDbContextAsync())
        {
            // The schema as the first release left it, with one inversion and three jobs in it.
            await db.GetService<IMigrator>().MigrateAsync("20261126071125_InitialCreate");
            const string now = "2026-11-01 10:00:00", json = "{}";
            await db.Database.ExecuteSqlAsync($"INSERT INTO Sessions (Id, CreatedAt, LastSeenAt) VALUES ({owner}, {now}, {now})");
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO Inversions (Id, OwnerId, CreatedAt, ModelName, ModelPath, ModelFamily, Prompt, SchedulerName, ParametersJson,
                    TimestepsJson, StartIndex, Width, Height, InputPng, ReconstructionPng, ThumbnailPng, Latent, LatentShape, CleanLatent,
                    NoiseMaps, NoiseShape, ResidualsJson, Nfe, InversionMs, OnnxRuntimeMs, WarningsJson)
                VALUES ({inversion}, {owner}, {now}, 'sd-turbo', '/m', 'Sd2', 'a cat', 'ddim', {json}, '[999,749]', 0, 64, 64,
                    {input}, {reconstruction}, {thumbnail}, {latent}, '1,4,8,8', {Array.Empty<byte>()}, {noise}, '2,1,4,8,8', '[]', 4, 1, 1, '[]')
                """);
            foreach (var (id, status, result, upload) in new[] { (deletedResultJob, "Done", (Guid?)null, (byte[]?)null), (doneJob, "Done", inversion, input), (queuedJob, "Queued", (Guid?)null, input) })
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO Jobs (Id, OwnerId, Kind, Status, CreatedAt, RequestJson, InputImage, InversionId, Progress)
                    VALUES ({id}, {owner}, 'Invert', {status}, {now}, {json}, {upload}, {result}, 0)
                    """);
        }

        await services.ApplyReNoiseMigrationsAsync();

        var store = services.GetRequiredService<GalleryStore>();
        Assert.Equal("a cat", (await store.GetInversionAsync(owner, inversion))!.Prompt);
        Assert.Equal(input, await store.GetInversionImageAsync(owner, inversion, InversionImage.Input));
        Assert.Equal(reconstruction, await store.GetInversionImageAsync(owner, inversion, InversionImage.Reconstruction));
        Assert.Equal(thumbnail, await store.GetInversionImageAsync(owner, inversion, InversionImage.Thumbnail));
        Assert.Equal(latent, await store.GetInversionBlobAsync(owner, inversion, Entities.InversionBlobKind.Latent));
        Assert.Equal(noise, await store.GetInversionBlobAsync(owner, inversion, Entities.InversionBlobKind.NoiseMaps));
        Assert.Null(await store.GetInversionBlobAsync(owner, inversion, Entities.InversionBlobKind.CleanLatent)); // it was empty
        // A finished job's upload is dropped, a queued one's kept; the row of a deleted result goes.
        Assert.Null(await store.GetJobInputImageAsync(owner, doneJob));
        Assert.Equal(input, await store.GetJobInputImageAsync(owner, queuedJob));
        Assert.Null(await store.GetJobAsync(owner, deletedResultJob));
        // Deleting the migrated inversion now deletes the job that made it.
        Assert.True(await store.DeleteInversionAsync(owner, inversion));
        Assert.Null(await store.GetJobAsync(owner, doneJob));
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
