using Microsoft.EntityFrameworkCore;

namespace ReNoise.Data.Tests;

/// <summary>
/// The store is a singleton: it keeps no context, opens one per operation and is called from
/// several threads at once (requests, circuits, the job worker).
/// </summary>
public sealed class StoreLifetimeTests : StoreTests
{
    [Fact]
    public async Task Every_operation_gets_its_own_context_tracks_no_row_it_read_and_disposes_it()
    {
        var contexts = new RecordingContextFactory(Db.Settings.CreateOptions());
        var store = new GalleryStore(contexts, Db.Clock);

        var owner = await store.GetOrCreateSessionAsync(null);
        var inversion = await store.AddInversionAsync(owner, Samples.Inversion());
        await store.AddEditAsync(owner, Samples.Edit(inversion));
        Assert.NotNull(await store.GetInversionAsync(owner, inversion));
        Assert.Single(await store.ListInversionsAsync(owner));
        Assert.Single(await store.ListEditsAsync(owner, inversion));

        Assert.Equal(6, contexts.Created.Count);
        Assert.Equal(0, contexts.TrackedFromQueries);
        Assert.All(contexts.Created, context => Assert.Throws<ObjectDisposedException>(() => context.Sessions.Count()));
    }

    [Fact]
    public async Task One_store_serves_two_threads_at_once()
    {
        var inversion = await Store.AddInversionAsync(Owner, Samples.Inversion());
        using var start = new Barrier(2);

        // A shared DbContext would fail here ("a second operation was started on this context").
        async Task<List<Guid>> WorkAsync(int thread)
        {
            start.SignalAndWait();
            var added = new List<Guid>();
            for (int i = 0; i < 20; i++)
            {
                added.Add((await Store.AddEditAsync(Owner, Samples.Edit(inversion, $"thread {thread}, edit {i}")))!.Value);
                Assert.NotNull(await Store.GetInversionAsync(Owner, inversion));
                Assert.NotEmpty(await Store.ListEditsAsync(Owner, inversion));
                Assert.Empty(await Store.ListActiveJobsAsync(Owner));
            }
            return added;
        }

        var added = await Task.WhenAll(Task.Run(() => WorkAsync(1)), Task.Run(() => WorkAsync(2)));

        var stored = await Store.ListEditsAsync(Owner, inversion);
        Assert.Equal(40, stored.Count);
        Assert.Equal(added.SelectMany(ids => ids).Order(), stored.Select(e => e.Id).Order());
    }

    /// <summary>Plain (unpooled) contexts, kept so the test can look at them after the store is done with them.</summary>
    private sealed class RecordingContextFactory(DbContextOptions<ReNoiseDbContext> options) : IDbContextFactory<ReNoiseDbContext>
    {
        private int _trackedFromQueries;

        public List<ReNoiseDbContext> Created { get; } = [];
        public int TrackedFromQueries => _trackedFromQueries;

        public ReNoiseDbContext CreateDbContext()
        {
            var context = new ReNoiseDbContext(options);
            context.ChangeTracker.Tracked += (_, e) =>
            {
                if (e.FromQuery) Interlocked.Increment(ref _trackedFromQueries);
            };
            lock (Created) Created.Add(context);
            return context;
        }
    }
}
