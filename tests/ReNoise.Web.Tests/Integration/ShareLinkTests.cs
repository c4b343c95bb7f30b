using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ReNoise.Data;
using ReNoise.Data.Entities;

namespace ReNoise.Web.Tests.Integration;

public sealed class ShareLinkTests(StudioFactory factory) : IClassFixture<StudioFactory>
{
    [Fact]
    public async Task A_link_shows_images_prompts_and_parameters_to_anyone_until_revoked_then_404()
    {
        var (_, ownerId) = await factory.NewBrowserAsync();
        Guid inversion = await factory.WithStoreAsync(s => s.AddInversionAsync(ownerId, TestServices.Inversion("a snowy mountain hut")));
        Guid edit = (await factory.WithStoreAsync(s => s.AddEditAsync(ownerId, new Edit
        {
            InversionId = inversion, Prompt = "a snowy mountain hut at night", Guidance = 2.5, ImagePng = TestServices.TinyPng(), Nfe = 4,
        })))!.Value;
        var gallery = factory.Services.GetRequiredService<GalleryStore>();
        string token = (await gallery.CreateShareLinkAsync(ownerId, inversion, edit))!;
        using var stranger = factory.CreateClient(new() { HandleCookies = true });

        using var page = await stranger.GetAsync($"/s/{token}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("a snowy mountain hut at night", html);
        Assert.Contains("a snowy mountain hut", html);
        Assert.Contains("Renoise steps R", html);
        // Nothing else of the owner's gallery: no ids, no owner.
        Assert.DoesNotContain(inversion.ToString(), html);
        Assert.DoesNotContain(edit.ToString(), html);
        Assert.DoesNotContain(ownerId.ToString(), html);
        Assert.DoesNotContain(ownerId.ToString("N"), html);
        foreach (string file in new[] { "input.png", "reconstruction.png", "edit.png" })
        {
            using var image = await stranger.GetAsync($"/s/{token}/{file}");
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
            Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
        }

        Assert.True(await gallery.RevokeShareLinkAsync(ownerId, token));

        using var revoked = await stranger.GetAsync($"/s/{token}");
        Assert.Equal(HttpStatusCode.NotFound, revoked.StatusCode);
        string notFound = await revoked.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"not-found\"", notFound);
        Assert.DoesNotContain("snowy mountain", notFound);
        using var revokedImage = await stranger.GetAsync($"/s/{token}/input.png");
        Assert.Equal(HttpStatusCode.NotFound, revokedImage.StatusCode);
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not-a-token-at-all")]
    [InlineData("x")]
    public async Task An_unknown_token_is_a_404_page(string token)
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync($"/s/{token}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("data-testid=\"not-found\"", await response.Content.ReadAsStringAsync());
        using var image = await client.GetAsync($"/s/{token}/input.png");
        Assert.Equal(HttpStatusCode.NotFound, image.StatusCode);
    }
}
