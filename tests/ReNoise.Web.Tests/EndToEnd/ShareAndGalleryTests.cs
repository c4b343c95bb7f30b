using System.Text.RegularExpressions;
using Microsoft.Playwright;
using ReNoise.Data.Entities;

namespace ReNoise.Web.Tests.EndToEnd;

/// <summary>
/// Share links as their owner and a stranger see them (one title, Open Graph data, a copy button, a
/// link on one line, revoking), and the gallery that scales (search, model filter, pages, edit counts,
/// several deleted at once), each in its own browser session.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class ShareAndGalleryTests(StudioApp app)
{
    private const string NotFoundLoad = "status of 404";

    [Theory]
    [MemberData(nameof(Viewports.Both), MemberType = typeof(Viewports))]
    public async Task A_share_link_is_copied_opens_with_its_own_title_and_preview_data_for_a_stranger_and_is_revoked(string viewport)
    {
        var watch = app.Watch().Expect(NotFoundLoad);
        var context = await app.ContextAsync(viewport);
        var page = await context.NewPageAsync();
        await page.GotoInteractiveAsync(await app.InversionAsync(viewport));

        // Created: the link on one line with a copy button that copies it.
        await page.ByTestId("share-button").ClickAsync();
        var created = page.ByTestId("share-created-url");
        await Assertions.Expect(created).ToBeVisibleAsync();
        string shareUrl = (await created.GetAttributeAsync("href"))!;
        Assert.Matches(new Regex("/s/[A-Za-z0-9_-]{22,}$"), shareUrl);
        Assert.True(await created.IsOneLineAsync(), "the new link wraps");
        await page.ByTestId("share-created-copy").ClickAsync();
        await Assertions.Expect(page.ByTestId("share-created").Locator("[data-copy-status]")).ToHaveTextAsync("Link copied");
        Assert.Equal(shareUrl, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        // In the page's list of links too, each on one line.
        var listed = page.ByTestId("share-link").Filter(new() { Has = page.Locator($"a[href='{shareUrl}']") });
        await Assertions.Expect(listed).ToHaveCountAsync(1);
        Assert.True(await listed.ByTestIdIn("share-url").IsOneLineAsync(), "the listed link wraps");
        await PageAudit.AssertAsync(page, "the result page with a share link");

        // A stranger (no session cookie) opens it: a read-only page under the Content-Security-Policy.
        await using var stranger = await app.NewContextAsync(viewport);
        var shared = await stranger.NewPageAsync();
        var response = await shared.GotoAsync(shareUrl);
        Assert.Contains("script-src 'self'", response!.Headers["content-security-policy"]);
        await Assertions.Expect(shared.ByTestId("share-page")).ToHaveAttributeAsync("data-kind", "inversion");
        await Assertions.Expect(shared.ByTestId("share-prompt")).ToContainTextAsync(StudioApp.SharedPrompt);
        await Assertions.Expect(shared.ByTestId("edit-form")).ToHaveCountAsync(0);
        // One <title>, the prompt; Open Graph title, description and an image that loads.
        Assert.Equal(1, await shared.Locator("title").CountAsync());
        Assert.Contains(StudioApp.SharedPrompt, await shared.TitleAsync());
        Assert.Contains(StudioApp.SharedPrompt, await shared.MetaAsync("og:title") ?? "");
        Assert.False(string.IsNullOrWhiteSpace(await shared.MetaAsync("og:description")), "no og:description");
        string image = await shared.MetaAsync("og:image") ?? "";
        Assert.StartsWith("http", image);
        var imageResponse = await stranger.APIRequest.GetAsync(image);
        Assert.Equal(200, imageResponse.Status);
        Assert.Equal("image/png", imageResponse.Headers["content-type"]);
        // The page's own link, on one line, with a copy button.
        Assert.True(await shared.ByTestId("share-page-url").IsOneLineAsync(), "the share page's link wraps");
        await shared.ByTestId("share-page-copy").ClickAsync();
        await Assertions.Expect(shared.ByTestId("share-page-copy")).ToHaveAttributeAsync("data-copied", "true");
        Assert.Equal(shareUrl, await shared.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await PageAudit.AssertAsync(shared, "the share page");
        await app.ShotAsync(shared, "share", viewport);

        // The stranger's own gallery is empty: sharing exposed nothing else.
        await shared.GotoAsync("/gallery");
        await Assertions.Expect(shared.ByTestId("gallery-empty")).ToBeVisibleAsync();
        await Assertions.Expect(shared.ByTestId("gallery-card")).ToHaveCountAsync(0);

        // Revoked: the link answers "not found".
        await listed.ByTestIdIn("share-revoke").ClickAsync();
        await page.ConfirmAsync("Revoke");
        await Assertions.Expect(page.ByTestId("share-link").Filter(new() { HasText = shareUrl })).ToHaveAttributeAsync("data-revoked", "true");
        var gone = await shared.GotoAsync(shareUrl);
        Assert.Equal(404, gone!.Status);
        await Assertions.Expect(shared.ByTestId("not-found")).ToBeVisibleAsync();
        await page.CloseAsync();
        await watch.AssertCleanAsync();
    }

    [Theory]
    [MemberData(nameof(Viewports.Both), MemberType = typeof(Viewports))]
    public async Task The_gallery_searches_filters_pages_counts_edits_and_deletes_several_at_once(string viewport)
    {
        var watch = app.Watch();
        // A session of its own with 30 inversions: 27 foxes (one with two edits) on the demo model, 3 owls on another.
        await using var context = await app.NewContextAsync(viewport);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/gallery");
        await Assertions.Expect(page.ByTestId("gallery-empty")).ToBeVisibleAsync();
        Guid owner = await app.OwnerOfAsync(context);
        var foxes = new List<Guid>();
        for (int i = 1; i <= 27; i++)
            foxes.Add(await app.StoreAsync(s => s.AddInversionAsync(owner, TestServices.Inversion($"a red fox number {i:00}"))));
        for (int i = 1; i <= 3; i++)
            await app.StoreAsync(s => s.AddInversionAsync(owner, TestServices.Inversion($"a snowy owl number {i}", model: "sd-turbo")));
        foreach (string prompt in new[] { "a fox in oil paint", "a fox in winter" })
            await app.StoreAsync(s => s.AddEditAsync(owner, new Edit { InversionId = foxes[^1], Prompt = prompt, Guidance = 2, ImagePng = TestServices.TinyPng(), Nfe = 4, DurationMs = 10 }));

        await page.GotoInteractiveAsync("/gallery");
        await Assertions.Expect(page.ByTestId("gallery-count")).ToContainTextAsync("30");
        // Pages of 24: the first page holds 24 cards, the second the other 6.
        await Assertions.Expect(page.ByTestId("gallery-card")).ToHaveCountAsync(24);
        await Assertions.Expect(page.ByTestId("gallery-pages")).ToBeVisibleAsync();
        // Newest first: the fox with two edits says so on its card.
        var edited = page.ByTestId("gallery-card").Filter(new() { HasText = "a red fox number 27" });
        await Assertions.Expect(edited.ByTestIdIn("gallery-card-edits")).ToContainTextAsync("2");
        await PageAudit.AssertAsync(page, "the gallery");
        await app.ShotAsync(page, "gallery", viewport);
        await page.ByTestId("gallery-pages").Locator("button").Filter(new() { HasTextRegex = new Regex("^\\s*2\\s*$") }).ClickAsync();
        await Assertions.Expect(page.ByTestId("gallery-card")).ToHaveCountAsync(6);

        // Search by prompt.
        await page.Locator("#gallery-search").FillAsync("owl");
        await Assertions.Expect(page.ByTestId("gallery-card")).ToHaveCountAsync(3);
        await Assertions.Expect(page.ByTestId("gallery-card-prompt").First).ToContainTextAsync("owl");
        await page.Locator("#gallery-search").FillAsync("nothing like this");
        await Assertions.Expect(page.ByTestId("gallery-no-match")).ToBeVisibleAsync();
        await page.Locator("#gallery-search").FillAsync("");
        await Assertions.Expect(page.ByTestId("gallery-card")).ToHaveCountAsync(24);

        // Filter by model.
        await page.ChooseAsync("gallery-model", "sd-turbo");
        await Assertions.Expect(page.ByTestId("gallery-card")).ToHaveCountAsync(3);
        await Assertions.Expect(page.ByTestId("gallery-card-model")).ToHaveTextAsync(["sd-turbo", "sd-turbo", "sd-turbo"]);

        // Several selected and deleted at once, after a confirmation that Escape dismisses.
        foreach (var card in await page.ByTestId("gallery-card").AllAsync())
            await card.Locator("input[type=checkbox]").CheckAsync();
        await Assertions.Expect(page.ByTestId("gallery-selected-count")).ToContainTextAsync("3 selected");
        await page.ByTestId("gallery-delete-selected").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);
        await Assertions.Expect(page.ByTestId("gallery-card")).ToHaveCountAsync(3);
        await page.ByTestId("gallery-delete-selected").ClickAsync();
        await page.ConfirmAsync("Delete 3");
        await Assertions.Expect(page.ByTestId("gallery-card")).ToHaveCountAsync(0);
        Assert.Equal(27, (await app.StoreAsync(s => s.ListInversionsAsync(owner))).Count);
        await page.ChooseAsync("gallery-model", "All models");
        await Assertions.Expect(page.ByTestId("gallery-count")).ToContainTextAsync("27");

        // A card opens its inversion.
        var fox = page.ByTestId("gallery-card").Filter(new() { HasText = "a red fox number 27" });
        await fox.ByTestIdIn("gallery-open").ClickAsync();
        await page.WaitForURLAsync($"**/inversions/{foxes[^1]}");
        await Assertions.Expect(page.ByTestId("inversion-prompt")).ToContainTextAsync("a red fox number 27");
        await Assertions.Expect(page.ByTestId("edit-item")).ToHaveCountAsync(2);
        await page.CloseAsync();
        await watch.AssertCleanAsync();
    }
}
