using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using ReNoise.Data.Entities;
using ReNoise.TestSupport;

namespace ReNoise.Data.Tests;

/// <summary>A migrated SQLite file in its own temporary folder, deleted on dispose.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly List<ReNoiseDbContext> _contexts = [];

    private TestDatabase(string folder)
    {
        Folder = folder;
        Settings = ReNoiseDatabaseSettings.ForSqliteFile(Path.Combine(folder, "gallery.db"));
        Contexts = new PooledDbContextFactory<ReNoiseDbContext>(
            new DbContextOptionsBuilder<ReNoiseDbContext>(Settings.CreateOptions()).AddInterceptors(Writes).Options);
    }

    /// <summary>Set <see cref="FailingWrites.Failing"/> to make the disk "full" for the stores' contexts.</summary>
    public FailingWrites Writes { get; } = new();

    public string Folder { get; }
    public ReNoiseDatabaseSettings Settings { get; }
    public string FilePath => Settings.FilePath!;

    /// <summary>The factory the app registers (pooled), on this database.</summary>
    public IDbContextFactory<ReNoiseDbContext> Contexts { get; }
    /// <summary>The store's clock: it stands still until a test advances it.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2024, 9, 30, 12, 0, 0, TimeSpan.Zero));

    public static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "renoise-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static async Task<TestDatabase> CreateMigratedAsync()
    {
        var db = new TestDatabase(NewFolder());
        await ReNoiseDatabase.MigrateAsync(db.NewContext());
        return db;
    }

    public ReNoiseDbContext NewContext()
    {
        var context = new ReNoiseDbContext(Settings.CreateOptions());
        _contexts.Add(context);
        return context;
    }

    /// <summary>Another store on this database, as a restarted process would have (a store keeps no context).</summary>
    public GalleryStore NewStore() => new(Contexts, Clock);

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts) await context.DisposeAsync();
        DeleteFolder(Folder, Settings.ConnectionString);
    }

    public static void DeleteFolder(string folder, string? connectionString = null)
    {
        // Pooled connections keep the file (and its -wal/-shm) open.
        if (connectionString is not null) SqliteConnection.ClearPool(new SqliteConnection(connectionString));
        else SqliteConnection.ClearAllPools();
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}

/// <summary>Small but structurally real rows.</summary>
public static class Samples
{
    public const string LatentShape = "1,4,8,8";

    public static float[] RandomFloats(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 8 - 4);
        return values;
    }

    public static byte[] Bytes(int count, byte fill)
    {
        var bytes = new byte[count];
        Array.Fill(bytes, fill);
        return bytes;
    }

    public static NewInversion Inversion(string prompt = "a cat on a sofa", double? psnr = 30.5, int seed = 1)
    {
        var latent = RandomFloats(4 * 8 * 8, seed);
        var clean = RandomFloats(4 * 8 * 8, seed + 1000);
        var noise = RandomFloats(2 * 4 * 8 * 8, seed + 2000);
        var row = new Inversion
        {
            ModelName = "sd-turbo",
            ModelPath = "/models/sd-turbo",
            ModelFamily = "sd21",
            Prompt = prompt,
            SchedulerName = "EulerAncestral",
            ParametersJson = """{"steps":4,"renoiseSteps":9}""",
            TimestepsJson = "[999,749,499,249]",
            StartIndex = 0,
            Width = 64,
            Height = 64,
            SourceFileName = "cat.jpg",
            LatentShape = LatentShape,
            NoiseShape = "2,1,4,8,8",
            ResidualsJson = "[[0.5,0.1]]",
            Psnr = psnr,
            Ssim = psnr is null ? null : 0.9,
            Nfe = 40,
            InversionMs = 1234,
            OnnxRuntimeMs = 1000,
            WarningsJson = "[]",
        };
        var files = new InversionFiles(
            InputPng: Bytes(300, 1),
            ReconstructionPng: Bytes(300, 2),
            ThumbnailPng: Bytes(40, 3),
            Latent: FloatBlob.ToBytes(latent),
            CleanLatent: FloatBlob.ToBytes(clean),
            NoiseMaps: FloatBlob.ToBytes(noise));
        return new NewInversion(row, files);
    }

    public static Edit Edit(Guid inversionId, string prompt = "a dog on a sofa") => new()
    {
        InversionId = inversionId,
        Prompt = prompt,
        Guidance = 1.0,
        ImagePng = Bytes(200, 9),
        Nfe = 4,
        DurationMs = 321,
    };

    public static async Task<int> CountAsync<T>(ReNoiseDbContext context) where T : class
        => await context.Set<T>().CountAsync();
}
