using Microsoft.EntityFrameworkCore;
using ReNoise.Data.Entities;

namespace ReNoise.Data.Tests;

public sealed class CascadeTests : StoreTests
{

    [Fact]
    public async Task Deleting_an_inversion_deletes_its_edits_and_links_but_not_another_inversions()
    {
        var doomed = await Store.AddInversionAsync(Owner, Samples.Inversion("doomed"));
        var kept = await Store.AddInversionAsync(Owner, Samples.Inversion("kept"));
        var doomedEdit = (await Store.AddEditAsync(Owner, Samples.Edit(doomed)))!.Value;
        await Store.AddEditAsync(Owner, Samples.Edit(doomed, "second"));
        var keptEdit = (await Store.AddEditAsync(Owner, Samples.Edit(kept)))!.Value;
        var doomedLink = (await Store.CreateShareLinkAsync(Owner, doomed))!;
        var doomedEditLink = (await Store.CreateShareLinkAsync(Owner, doomed, doomedEdit))!;
        var keptLink = (await Store.CreateShareLinkAsync(Owner, kept, keptEdit))!;
        var job = (await Store.EnqueueEditJobAsync(Owner, doomed, "{}"))!.Value;

        Assert.True(await Store.DeleteInversionAsync(Owner, doomed));

        var check = Db.NewContext();
        Assert.Equal([keptEdit], await check.Edits.Select(e => e.Id).ToListAsync());
        Assert.Equal([keptLink], await check.ShareLinks.Select(l => l.Token).ToListAsync());
        Assert.Null(await Store.ResolveShareLinkAsync(doomedLink));
        Assert.Null(await Store.ResolveShareLinkAsync(doomedEditLink));
        Assert.NotNull(await Store.ResolveShareLinkAsync(keptLink));
        // The edit job's row (its prompt) goes with the inversion it worked on, and no blob of it is left.
        Assert.Null(await Store.GetJobAsync(Owner, job));
        Assert.Equal([kept], (await check.InversionBlobs.Select(b => b.InversionId).Distinct().ToListAsync()));
        // A second delete finds nothing.
        Assert.False(await Store.DeleteInversionAsync(Owner, doomed));
    }

    [Fact]
    public async Task Deleting_an_edit_deletes_its_links_only()
    {
        var inversion = await Store.AddInversionAsync(Owner, Samples.Inversion());
        var edit = (await Store.AddEditAsync(Owner, Samples.Edit(inversion)))!.Value;
        var inversionLink = (await Store.CreateShareLinkAsync(Owner, inversion))!;
        var editLink = (await Store.CreateShareLinkAsync(Owner, inversion, edit))!;

        Assert.True(await Store.DeleteEditAsync(Owner, edit));

        Assert.Null(await Store.GetEditAsync(Owner, edit));
        Assert.Null(await Store.ResolveShareLinkAsync(editLink));
        Assert.NotNull(await Store.ResolveShareLinkAsync(inversionLink));
        Assert.NotNull(await Store.GetInversionAsync(Owner, inversion));
        Assert.Equal(1, await Samples.CountAsync<ShareLink>(Db.NewContext()));
    }
}
