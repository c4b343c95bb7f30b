using Microsoft.EntityFrameworkCore;

namespace ReNoise.Data.Tests;

public sealed class SessionTests : IAsyncLifetime
{
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateMigratedAsync();
    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Known_session_is_kept_and_touched_unknown_or_missing_gets_a_new_one()
    {
        var store = _db.NewStore();
        var start = _db.Clock.GetUtcNow().UtcDateTime;
        var id = await store.GetOrCreateSessionAsync(null);
        Assert.NotEqual(Guid.Empty, id);

        _db.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(id, await store.GetOrCreateSessionAsync(id));

        var row = await _db.NewContext().Sessions.AsNoTracking().SingleAsync(s => s.Id == id);
        Assert.Equal(start, row.CreatedAt);
        Assert.Equal(start.AddDays(2), row.LastSeenAt);

        var stranger = Guid.NewGuid();
        var replacement = await store.GetOrCreateSessionAsync(stranger);
        Assert.NotEqual(stranger, replacement);
        Assert.NotEqual(id, replacement);
        Assert.Equal(2, await _db.NewContext().Sessions.CountAsync());
    }
}
