using Microsoft.EntityFrameworkCore;
using ReNoise.Data.Entities;

namespace ReNoise.Data.Tests;

public sealed class SessionLifetimeTests : StoreTests
{
    [Fact]
    public async Task Session_ids_are_128_random_bits_with_no_guid_version_stamp()
    {
        var ids = Enumerable.Range(0, 2000).Select(_ => GalleryStore.NewSessionId()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // A version-4 Guid always has 4 in the version nibble; a fully random id has it 1/16 of the time.
        int version4 = ids.Count(id => id.ToString("N")[12] == '4');
        Assert.InRange(version4, 60, 200);
        var created = await Store.CreateSessionAsync();
        Assert.NotEqual(Guid.Empty, created);
    }

    [Fact]
    public async Task A_page_view_writes_last_seen_at_most_once_an_hour()
    {
        await using var db = Db.NewContext();
        var before = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == Owner);
        Db.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.True(await Store.TouchSessionAsync(Owner));
        Assert.Equal(before.LastSeenAt, (await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == Owner)).LastSeenAt);

        // While writes fail, a recent session is still recognised (a page view needs no write).
        Db.Writes.Failing = true;
        Assert.True(await Store.TouchSessionAsync(Owner));
        Db.Writes.Failing = false;

        Db.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.True(await Store.TouchSessionAsync(Owner));
        Assert.Equal(Db.Clock.GetUtcNow().UtcDateTime, (await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == Owner)).LastSeenAt);
        Assert.False(await Store.TouchSessionAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Stale_sessions_with_no_content_expire_and_the_others_stay()
    {
        Guid withInversion = await Store.CreateSessionAsync();
        await Store.AddInversionAsync(withInversion, Samples.Inversion());
        Guid withJob = await Store.CreateSessionAsync();
        await Store.EnqueueInvertJobAsync(withJob, "{}", Samples.Bytes(10, 1));
        Guid empty = await Store.CreateSessionAsync();
        Db.Clock.Advance(TimeSpan.FromDays(40));
        Guid recent = await Store.CreateSessionAsync();

        int expired = await Store.ExpireEmptySessionsAsync(Db.Clock.GetUtcNow().UtcDateTime.AddDays(-30));

        Assert.Equal(2, expired); // Owner (the base class's, empty) and "empty"
        await using var db = Db.NewContext();
        var left = await db.Sessions.Select(s => s.Id).ToListAsync();
        Assert.Equal(new[] { withInversion, withJob, recent }.Order(), left.Order());
        Assert.DoesNotContain(empty, left);
    }
}
