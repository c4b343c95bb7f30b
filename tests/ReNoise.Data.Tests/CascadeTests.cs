using Microsoft.EntityFrameworkCore;
using ReNoise.Data.Entities;

namespace ReNoise.Data.Tests;

public sealed class CascadeTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private GalleryStore _store = null!;
    private Guid _owner;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateMigratedAsync();
        _store = _db.NewStore();
        _owner = await _store.GetOrCreateSessionAsync(null);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Deleting_an_inversion_deletes_its_edits_and_links_but_not_another_inversions()
    {
        var doomed = await _store.AddInversionAsync(_owner, Samples.Inversion("doomed"));
        var kept = await _store.AddInversionAsync(_owner, Samples.Inversion("kept"));
        var doomedEdit = (await _store.AddEditAsync(_owner, Samples.Edit(doomed)))!.Value;
        await _store.AddEditAsync(_owner, Samples.Edit(doomed, "second"));
        var keptEdit = (await _store.AddEditAsync(_owner, Samples.Edit(kept)))!.Value;
        var doomedLink = (await _store.CreateShareLinkAsync(_owner, doomed))!;
        var doomedEditLink = (await _store.CreateShareLinkAsync(_owner, doomed, doomedEdit))!;
        var keptLink = (await _store.CreateShareLinkAsync(_owner, kept, keptEdit))!;
        var job = (await _store.EnqueueEditJobAsync(_owner, doomed, "{}"))!.Value;

        Assert.True(await _store.DeleteInversionAsync(_owner, doomed));

        var check = _db.NewContext();
        Assert.Equal([keptEdit], await check.Edits.Select(e => e.Id).ToListAsync());
        Assert.Equal([keptLink], await check.ShareLinks.Select(l => l.Token).ToListAsync());
        Assert.Null(await _store.ResolveShareLinkAsync(doomedLink));
        Assert.Null(await _store.ResolveShareLinkAsync(doomedEditLink));
        Assert.NotNull(await _store.ResolveShareLinkAsync(keptLink));
        // The job history stays; only its reference to the deleted input is cleared.
        var jobInfo = await _store.GetJobAsync(_owner, job);
        Assert.NotNull(jobInfo);
        Assert.Null(jobInfo.InversionId);
        // A second delete finds nothing.
        Assert.False(await _store.DeleteInversionAsync(_owner, doomed));
    }

    [Fact]
    public async Task Deleting_an_edit_deletes_its_links_only()
    {
        var inversion = await _store.AddInversionAsync(_owner, Samples.Inversion());
        var edit = (await _store.AddEditAsync(_owner, Samples.Edit(inversion)))!.Value;
        var inversionLink = (await _store.CreateShareLinkAsync(_owner, inversion))!;
        var editLink = (await _store.CreateShareLinkAsync(_owner, inversion, edit))!;

        Assert.True(await _store.DeleteEditAsync(_owner, edit));

        Assert.Null(await _store.GetEditAsync(_owner, edit));
        Assert.Null(await _store.ResolveShareLinkAsync(editLink));
        Assert.NotNull(await _store.ResolveShareLinkAsync(inversionLink));
        Assert.NotNull(await _store.GetInversionAsync(_owner, inversion));
        Assert.Equal(1, await Samples.CountAsync<ShareLink>(_db.NewContext()));
    }
}
