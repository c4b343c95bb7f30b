using ReNoise.Data.Entities;

namespace ReNoise.Data.Tests;

/// <summary>Owner B, holding the ids of owner A's items, can neither see nor change them.</summary>
public sealed class OwnerScopingTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private GalleryStore _store = null!;
    private Guid _alice, _bob, _inversion, _edit, _job;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateMigratedAsync();
        _store = _db.NewStore();
        _alice = await _store.GetOrCreateSessionAsync(null);
        _bob = await _store.GetOrCreateSessionAsync(null);
        _inversion = await _store.AddInversionAsync(_alice, Samples.Inversion());
        _edit = (await _store.AddEditAsync(_alice, Samples.Edit(_inversion)))!.Value;
        _token = (await _store.CreateShareLinkAsync(_alice, _inversion, _edit))!;
        _job = (await _store.EnqueueEditJobAsync(_alice, _inversion, "{}"))!.Value;
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Another_owner_cannot_read_inversions()
    {
        Assert.Null(await _store.GetInversionAsync(_bob, _inversion));
        Assert.Empty(await _store.ListInversionsAsync(_bob));
        foreach (var image in Enum.GetValues<InversionImage>())
            Assert.Null(await _store.GetInversionImageAsync(_bob, _inversion, image));

        // The owner does see them, so the nulls above are about ownership.
        Assert.NotNull(await _store.GetInversionAsync(_alice, _inversion));
        Assert.Single(await _store.ListInversionsAsync(_alice));
        Assert.Equal(Samples.Bytes(300, 2), await _store.GetInversionImageAsync(_alice, _inversion, InversionImage.Reconstruction));
    }

    [Fact]
    public async Task Another_owner_cannot_delete_an_inversion()
    {
        Assert.False(await _store.DeleteInversionAsync(_bob, _inversion));
        Assert.NotNull(await _store.GetInversionAsync(_alice, _inversion));
        Assert.Single(await _store.ListEditsAsync(_alice, _inversion));
    }

    [Fact]
    public async Task Another_owner_cannot_read_add_or_delete_edits()
    {
        Assert.Empty(await _store.ListEditsAsync(_bob, _inversion));
        Assert.Null(await _store.GetEditAsync(_bob, _edit));
        Assert.Null(await _store.AddEditAsync(_bob, Samples.Edit(_inversion, "bob's edit")));
        Assert.False(await _store.DeleteEditAsync(_bob, _edit));

        var edits = await _store.ListEditsAsync(_alice, _inversion);
        Assert.Equal([_edit], edits.Select(e => e.Id));
        Assert.NotNull(await _store.GetEditAsync(_alice, _edit));
    }

    [Fact]
    public async Task Another_owner_cannot_share_list_or_revoke_links()
    {
        Assert.Null(await _store.CreateShareLinkAsync(_bob, _inversion));
        Assert.Null(await _store.CreateShareLinkAsync(_bob, _inversion, _edit));
        Assert.Empty(await _store.ListShareLinksAsync(_bob, _inversion));
        Assert.False(await _store.RevokeShareLinkAsync(_bob, _token));

        Assert.NotNull(await _store.ResolveShareLinkAsync(_token));
        Assert.Single(await _store.ListShareLinksAsync(_alice, _inversion));
    }

    [Fact]
    public async Task Bob_cannot_share_alices_edit_through_his_own_inversion()
    {
        var bobsInversion = await _store.AddInversionAsync(_bob, Samples.Inversion("bob's photo"));
        Assert.Null(await _store.CreateShareLinkAsync(_bob, bobsInversion, _edit));
        // Nor can Alice attach an edit to an inversion it does not belong to.
        var alicesOther = await _store.AddInversionAsync(_alice, Samples.Inversion("another"));
        Assert.Null(await _store.CreateShareLinkAsync(_alice, alicesOther, _edit));
    }

    [Fact]
    public async Task Another_owner_cannot_queue_edits_of_or_touch_jobs()
    {
        Assert.Null(await _store.EnqueueEditJobAsync(_bob, _inversion, "{}"));
        Assert.Null(await _store.GetJobAsync(_bob, _job));
        Assert.Null(await _store.GetJobInputImageAsync(_bob, _job));
        Assert.Empty(await _store.ListActiveJobsAsync(_bob));
        Assert.Empty(await _store.ListRecentJobsAsync(_bob));
        Assert.False(await _store.MarkJobRunningAsync(_bob, _job));
        Assert.False(await _store.MarkJobCancelledAsync(_bob, _job));
        Assert.False(await _store.MarkJobFailedAsync(_bob, _job, "nope"));

        var job = await _store.GetJobAsync(_alice, _job);
        Assert.NotNull(job);
        Assert.Equal(JobStatus.Queued, job.Status);
        Assert.Equal([_job], (await _store.ListActiveJobsAsync(_alice)).Select(j => j.Id));
    }
}
