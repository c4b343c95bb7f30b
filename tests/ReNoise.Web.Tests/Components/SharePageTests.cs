using Bunit;
using Microsoft.Extensions.DependencyInjection;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Web.Components.Pages;

namespace ReNoise.Web.Tests.Components;

/// <summary>The public share page on the real data layer.</summary>
public sealed class SharePageTests : StudioTestContext
{
    private readonly TempDatabase _database;

    public SharePageTests() => _database = DisposeAfterwards(new TempDatabase());

    private async Task<(Guid Owner, Guid Inversion, Guid Edit)> SeedAsync()
    {
        await TestServices.AddMigratedDataAsync(Services, _database);
        var store = Services.GetRequiredService<GalleryStore>();
        Guid owner = await store.GetOrCreateSessionAsync(null);
        Guid inversion = await store.AddInversionAsync(owner, TestServices.Inversion("a lighthouse on a cliff", 22.5));
        Guid edit = (await store.AddEditAsync(owner, new Edit
        {
            InversionId = inversion, Prompt = "a lighthouse on a cliff at sunset", Guidance = 3.5, ImagePng = TestServices.TinyPng(), Nfe = 4,
        }))!.Value;
        await store.AddInversionAsync(owner, TestServices.Inversion("another private picture"));
        return (owner, inversion, edit);
    }

    private async Task<string> ShareAsync(Guid owner, Guid inversion, Guid? edit)
    {
        return (await Services.GetRequiredService<GalleryStore>().CreateShareLinkAsync(owner, inversion, edit))!;
    }

    [Fact]
    public async Task An_inversion_link_shows_its_images_prompt_and_parameters_and_nothing_else()
    {
        var (owner, inversion, edit) = await SeedAsync();
        string token = await ShareAsync(owner, inversion, null);

        var page = Render<SharePage>(p => p.Add(x => x.Token, token));
        page.WaitForAssertion(() => page.Find("[data-testid=share-page]"));

        Assert.Equal("“a lighthouse on a cliff”", page.Find("[data-testid=share-prompt]").TextContent.Trim());
        Assert.Equal($"/s/{token}/input.png", page.Find("[data-testid=share-input]").GetAttribute("src"));
        Assert.Equal($"/s/{token}/reconstruction.png", page.Find("[data-testid=share-reconstruction]").GetAttribute("src"));
        Assert.Empty(page.FindAll("[data-testid=share-edit]"));
        var parameters = page.Find("[data-testid=share-parameters]").TextContent;
        Assert.Contains("Renoise steps R", parameters);
        Assert.Contains("0.065", parameters);
        Assert.Contains("exact", parameters);
        Assert.Contains("22.50 dB", page.Find("[data-testid=share-summary]").TextContent);
        foreach (string secret in new[] { inversion.ToString(), edit.ToString(), owner.ToString(), "another private picture", "sunset", "photo.png" })
            Assert.DoesNotContain(secret, page.Markup);
    }

    [Fact]
    public async Task An_edit_link_adds_the_edit_image_prompt_and_guidance()
    {
        var (owner, inversion, edit) = await SeedAsync();
        string token = await ShareAsync(owner, inversion, edit);

        var page = Render<SharePage>(p => p.Add(x => x.Token, token));
        page.WaitForAssertion(() => page.Find("[data-testid=share-page]"));

        Assert.Equal("“a lighthouse on a cliff at sunset”", page.Find("[data-testid=share-edit-prompt]").TextContent.Trim());
        Assert.Equal("a lighthouse on a cliff", page.Find("[data-testid=share-prompt]").TextContent.Trim());
        Assert.Contains("edit guidance 3.5", page.Markup);
        Assert.Equal($"/s/{token}/edit.png", page.Find("[data-testid=share-edit]").GetAttribute("src"));
        Assert.DoesNotContain(edit.ToString(), page.Markup);
    }

    [Fact]
    public async Task A_revoked_link_shows_nothing_of_the_inversion()
    {
        var (owner, inversion, _) = await SeedAsync();
        string token = await ShareAsync(owner, inversion, null);
        Assert.True(await Services.GetRequiredService<GalleryStore>().RevokeShareLinkAsync(owner, token));

        var page = Render<SharePage>(p => p.Add(x => x.Token, token));

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=share-page]")));
        Assert.DoesNotContain("lighthouse", page.Markup);
    }
}
