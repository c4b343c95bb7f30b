namespace ReNoise.Data.Tests;

/// <summary>A test class's own migrated temporary database, a store on it and one owner's session.</summary>
public abstract class StoreTests : IAsyncLifetime
{
    protected TestDatabase Db { get; private set; } = null!;
    protected GalleryStore Store { get; private set; } = null!;
    protected Guid Owner { get; private set; }

    public virtual async Task InitializeAsync()
    {
        Db = await TestDatabase.CreateMigratedAsync();
        Store = Db.NewStore();
        Owner = await Store.GetOrCreateSessionAsync(null);
    }

    public async Task DisposeAsync() => await Db.DisposeAsync();
}
