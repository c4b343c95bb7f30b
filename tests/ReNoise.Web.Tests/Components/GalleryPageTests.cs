using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using ReNoise.Data;
using ReNoise.Web.Components.Pages;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Tests.Components;

/// <summary>The gallery page on the real data layer (a temp SQLite file).</summary>
public sealed class GalleryPageTests : StudioTestContext
{
    private readonly TempDatabase _database;
    private IRenderedComponent<MudDialogProvider>? _dialogs;
    private Guid _owner;

    public GalleryPageTests() => _database = DisposeAfterwards(new TempDatabase());

    private async Task<IRenderedComponent<GalleryPage>> RenderGalleryAsync(params (string Prompt, double? Psnr)[] inversions)
    {
        await TestServices.AddMigratedDataAsync(Services, _database);
        var gallery = Services.GetRequiredService<GalleryStore>();
        _owner = await gallery.GetOrCreateSessionAsync(null);
        var stranger = await gallery.GetOrCreateSessionAsync(null);
        await gallery.AddInversionAsync(stranger, TestServices.Inversion("someone else's harbour"));
        foreach (var (prompt, psnr) in inversions)
        {
            await gallery.AddInversionAsync(_owner, TestServices.Inversion(prompt, psnr));
            Clock.Advance(TimeSpan.FromSeconds(1)); // distinct creation times for the date sort (the store's clock is the context's)
        }
        AsCircuit();
        Render<MudPopoverProvider>();
        _dialogs = Render<MudDialogProvider>();
        return Render<GalleryPage>(p => p.AddCascadingValue(new StudioSession(_owner)));
    }

    private static string[] Prompts(IRenderedComponent<GalleryPage> page) =>
        page.FindAll("[data-testid=gallery-card-prompt]").Select(e => e.TextContent.Trim()).ToArray();

    [Fact]
    public async Task Cards_show_the_sessions_inversions_with_thumbnail_model_date_and_metrics()
    {
        var page = await RenderGalleryAsync(("a red fox", 21.25), ("a grey whale", null));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=gallery-card]").Count));

        Assert.Equal(["a grey whale", "a red fox"], Prompts(page)); // newest first
        Assert.DoesNotContain("harbour", page.Markup);
        var fox = page.FindAll("[data-testid=gallery-card]")[1];
        string id = fox.GetAttribute("data-inversion-id")!;
        Assert.Equal($"/api/inversions/{id}/thumbnail.png", fox.QuerySelector("[data-testid=gallery-thumbnail]")!.GetAttribute("src"));
        Assert.Equal("a red fox", fox.QuerySelector("[data-testid=gallery-thumbnail]")!.GetAttribute("alt"));
        Assert.Equal("0 edits", fox.QuerySelector("[data-testid=gallery-card-edits]")!.TextContent.Trim());
        Assert.Equal("demo-sd-turbo", fox.QuerySelector("[data-testid=gallery-card-model]")!.TextContent.Trim());
        Assert.Contains("PSNR 21.25 dB", fox.QuerySelector("[data-testid=gallery-card-metrics]")!.TextContent);
        Assert.Contains("NFE 40", fox.QuerySelector("[data-testid=gallery-card-metrics]")!.TextContent);
        Assert.Contains("PSNR –", page.FindAll("[data-testid=gallery-card-metrics]")[0].TextContent);
        Assert.Matches(@"\d", fox.QuerySelector("[data-testid=gallery-card-date]")!.TextContent);
        Assert.Equal($"/inversions/{id}", fox.QuerySelector("[data-testid=gallery-open]")!.GetAttribute("href"));
    }

    [Fact]
    public async Task Sorting_reorders_the_cards()
    {
        var page = await RenderGalleryAsync(("b: middle", 15), ("c: best", 30), ("a: worst", 5));
        page.WaitForAssertion(() => Assert.Equal(3, Prompts(page).Length));
        var sort = page.FindComponent<MudSelect<InversionSort>>();

        await page.InvokeAsync(() => sort.Instance.ValueChanged.InvokeAsync(InversionSort.Prompt));
        page.WaitForAssertion(() => Assert.Equal(["a: worst", "b: middle", "c: best"], Prompts(page)));
        await page.InvokeAsync(() => sort.Instance.ValueChanged.InvokeAsync(InversionSort.Psnr));
        page.WaitForAssertion(() => Assert.Equal(["c: best", "b: middle", "a: worst"], Prompts(page)));
        await page.InvokeAsync(() => sort.Instance.ValueChanged.InvokeAsync(InversionSort.Oldest));
        page.WaitForAssertion(() => Assert.Equal(["b: middle", "c: best", "a: worst"], Prompts(page)));
    }

    [Fact]
    public async Task Delete_asks_for_confirmation_and_only_then_removes_the_card()
    {
        var page = await RenderGalleryAsync(("keep me", 20), ("delete me", 20));
        page.WaitForAssertion(() => Assert.Equal(["delete me", "keep me"], Prompts(page)));
        var dialogs = _dialogs!;

        page.FindAll("[data-testid=gallery-delete]")[0].Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Delete this inversion?", dialogs.Markup));
        Assert.Contains("“delete me”, all its edits and share links will be deleted", dialogs.Markup);
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click();
        page.WaitForAssertion(() => Assert.DoesNotContain("Delete this inversion?", dialogs.Markup));
        Assert.Equal(["delete me", "keep me"], Prompts(page));

        page.FindAll("[data-testid=gallery-delete]")[0].Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Delete this inversion?", dialogs.Markup));
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").Click();
        page.WaitForAssertion(() => Assert.Equal(["keep me"], Prompts(page)));
        var left = await Services.GetRequiredService<GalleryStore>().ListInversionsAsync(_owner);
        Assert.Equal(["keep me"], left.Select(i => i.Prompt));
    }

    [Fact]
    public async Task An_empty_gallery_points_to_the_studio()
    {
        var page = await RenderGalleryAsync();
        page.WaitForAssertion(() => Assert.Contains("No inversions yet", page.Find("[data-testid=gallery-empty]").TextContent));
    }
}
