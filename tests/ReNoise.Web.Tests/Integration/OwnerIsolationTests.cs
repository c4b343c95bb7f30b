using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine.IO;
using ReNoise.Web.Jobs;

namespace ReNoise.Web.Tests.Integration;

/// <summary>One browser session cannot read, edit, delete, share or cancel another's items.</summary>
public sealed class OwnerIsolationTests(StudioFactory factory) : IClassFixture<StudioFactory>
{
    private async Task<(Guid Inversion, Guid Edit, Guid Job)> SeedAsync(Guid owner, string prompt)
    {
        Guid inversion = await factory.WithStoreAsync(s => s.AddInversionAsync(owner, TestServices.Inversion(prompt)));
        Guid? edit = await factory.WithStoreAsync(s => s.AddEditAsync(owner, new Edit
        {
            InversionId = inversion, Prompt = prompt + " as a painting", Guidance = 2, ImagePng = TestServices.TinyPng(), Nfe = 4, DurationMs = 10,
        }));
        Guid? job = await factory.WithStoreAsync(s => s.EnqueueEditJobAsync(owner, inversion, JobJson.Write(new EditJobRequest("x", 1))));
        await factory.WithStoreAsync(s => s.MarkJobCancelledAsync(owner, job!.Value)); // keep the worker out of it
        return (inversion, edit!.Value, job!.Value);
    }

    private static string[] Urls(Guid inversion, Guid edit, Guid job) =>
    [
        $"/inversions/{inversion}",
        $"/jobs/{job}",
        $"/api/inversions/{inversion}/input.png",
        $"/api/inversions/{inversion}/reconstruction.png",
        $"/api/inversions/{inversion}/thumbnail.png",
        $"/api/inversions/{inversion}/latent.npy",
        $"/api/inversions/{inversion}/z0.npy",
        $"/api/inversions/{inversion}/noise.npy",
        $"/api/edits/{edit}/image.png",
    ];

    [Fact]
    public async Task Guessed_ids_in_page_and_file_urls_are_404_for_another_session_and_without_a_cookie()
    {
        var (alice, aliceId) = await factory.NewBrowserAsync();
        var (bob, _) = await factory.NewBrowserAsync();
        using var anonymous = factory.CreateClient(new() { HandleCookies = false });
        var (inversion, edit, job) = await SeedAsync(aliceId, "alice's secret garden");

        foreach (string url in Urls(inversion, edit, job))
        {
            using var own = await alice.GetAsync(url);
            Assert.True(own.StatusCode == HttpStatusCode.OK, $"{url}: the owner gets {own.StatusCode}");

            using var guessed = await bob.GetAsync(url);
            Assert.True(guessed.StatusCode == HttpStatusCode.NotFound, $"{url}: another session gets {guessed.StatusCode}");
            Assert.DoesNotContain("secret garden", await guessed.Content.ReadAsStringAsync());

            if (url.StartsWith("/api/", StringComparison.Ordinal))
            {
                using var noCookie = await anonymous.GetAsync(url);
                Assert.Equal(HttpStatusCode.NotFound, noCookie.StatusCode);
            }
        }
    }

    [Fact]
    public async Task The_owner_downloads_tensors_as_npy_with_their_shapes()
    {
        var (alice, aliceId) = await factory.NewBrowserAsync();
        var (inversion, _, _) = await SeedAsync(aliceId, "a lighthouse");
        var row = await factory.WithStoreAsync(s => s.GetInversionAsync(aliceId, inversion));

        using var latent = await alice.GetAsync($"/api/inversions/{inversion}/latent.npy");
        Assert.Equal("application/octet-stream", latent.Content.Headers.ContentType?.MediaType);
        string file = Path.Combine(Path.GetTempPath(), $"latent-{Guid.NewGuid():N}.npy");
        await File.WriteAllBytesAsync(file, await latent.Content.ReadAsByteArrayAsync());
        try
        {
            var array = NpyArray.Read(file);
            Assert.Equal([1, 4, 6, 6], array.Shape);
            Assert.Equal(FloatBlob.ToFloats(TestServices.Inversion("x").Files.Latent), array.Data);
        }
        finally
        {
            File.Delete(file);
        }

        using var noise = await alice.GetAsync($"/api/inversions/{inversion}/noise.npy");
        var bytes = await noise.Content.ReadAsByteArrayAsync();
        Assert.Equal(4 * 4 * 6 * 6 * sizeof(float), bytes.Length - NpyHeaderLength(bytes));
    }

    [Fact]
    public async Task Another_session_cannot_edit_delete_share_revoke_or_cancel()
    {
        var (_, aliceId) = await factory.NewBrowserAsync();
        var (_, bobId) = await factory.NewBrowserAsync();
        var (inversion, edit, _) = await SeedAsync(aliceId, "a red bicycle");
        string token = (await factory.WithStoreAsync(s => s.CreateShareLinkAsync(aliceId, inversion, null)))!;
        var queue = factory.Services.GetRequiredService<JobQueue>();
        var gallery = factory.Services.GetRequiredService<GalleryStore>();

        var refusedEdit = await queue.SubmitEditAsync(bobId, inversion, "a blue bicycle", 1.0);
        Assert.Null(refusedEdit.JobId);
        Assert.False(await gallery.DeleteInversionAsync(bobId, inversion));
        Assert.False(await gallery.DeleteEditAsync(bobId, edit));
        Assert.Null(await gallery.CreateShareLinkAsync(bobId, inversion, null));
        Assert.Null(await gallery.CreateShareLinkAsync(bobId, inversion, edit));
        Assert.False(await gallery.RevokeShareLinkAsync(bobId, token));
        Assert.Null(await gallery.GetInversionAsync(bobId, inversion));
        Assert.Empty(await gallery.ListEditsAsync(bobId, inversion));
        Assert.Empty(await gallery.ListShareLinksAsync(bobId, inversion));
        Assert.DoesNotContain(await gallery.ListInversionsAsync(bobId, InversionSort.Newest), i => i.Id == inversion);

        // Alice's items are untouched: her inversion, edit and live link are still there.
        Assert.NotNull(await gallery.GetInversionAsync(aliceId, inversion));
        Assert.Single(await gallery.ListEditsAsync(aliceId, inversion));
        Assert.NotNull(await gallery.ResolveShareLinkAsync(token));
        Assert.Empty(await factory.WithStoreAsync(s => s.ListActiveJobsAsync(bobId)));
    }

    [Fact]
    public async Task Another_session_cannot_cancel_a_queued_job()
    {
        var (_, aliceId) = await factory.NewBrowserAsync();
        var (_, bobId) = await factory.NewBrowserAsync();
        Guid inversion = await factory.WithStoreAsync(s => s.AddInversionAsync(aliceId, TestServices.Inversion("a quiet lake")));
        // A row the worker does not know about stays queued, so only the cancel path is exercised.
        Guid job = (await factory.WithStoreAsync(s => s.EnqueueEditJobAsync(aliceId, inversion, JobJson.Write(new EditJobRequest("a stormy lake", 1)))))!.Value;
        var queue = factory.Services.GetRequiredService<JobQueue>();

        Assert.False(await queue.CancelAsync(bobId, job));
        Assert.Equal(JobStatus.Queued, (await factory.WithStoreAsync(s => s.GetJobAsync(aliceId, job)))!.Status);
        Assert.True(await queue.CancelAsync(aliceId, job));
        Assert.Equal(JobStatus.Cancelled, (await factory.WithStoreAsync(s => s.GetJobAsync(aliceId, job)))!.Status);
    }

    private static int NpyHeaderLength(byte[] npy) => 10 + (npy[8] | (npy[9] << 8));
}
