using System.Text.RegularExpressions;
using Microsoft.Playwright;
using ReNoise.TestSupport;

namespace ReNoise.Web.Tests.EndToEnd;

/// <summary>What a user does in the studio, as the end-to-end tests do it.</summary>
public static class Browsing
{
    public static string Photo(string name = "astronaut.png") => Path.Combine(TestPaths.Fixtures, "images", name);

    public static ILocator ByTestId(this IPage page, string id) => page.GetByTestId(id);

    public static ILocator ByTestIdIn(this ILocator scope, string id) => scope.GetByTestId(id);

    /// <summary>Navigates and waits for the Blazor circuit: the page does nothing on its own until it is connected.</summary>
    public static async Task GotoInteractiveAsync(this IPage page, string url)
    {
        var connected = page.WaitForConsoleMessageAsync(new() { Predicate = m => m.Text.Contains("WebSocket connected"), Timeout = 60_000 });
        await page.GotoAsync(url);
        await connected;
    }

    /// <summary>Opens the studio and waits until its form takes input (it says "Connecting…" until then).</summary>
    public static async Task OpenStudioAsync(this IPage page, string url = "/")
    {
        await page.GotoAsync(url);
        await Assertions.Expect(page.Locator("#upload-input")).ToBeEnabledAsync();
    }

    /// <summary>Picks a photo as a user would, once the form takes it, and waits for its preview.</summary>
    public static async Task UploadAsync(this IPage page, string file)
    {
        await Assertions.Expect(page.Locator("#upload-input")).ToBeEnabledAsync();
        await page.Locator("#upload-input").SetInputFilesAsync(file);
        await Assertions.Expect(page.ByTestId("upload-preview")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#submit-inversion")).ToBeEnabledAsync();
    }

    /// <summary>Chooses an option of a MudBlazor select (a popover list).</summary>
    public static async Task ChooseAsync(this IPage page, string selectTestId, string option)
    {
        await page.ByTestId(selectTestId).ClickAsync();
        var items = page.Locator(".mud-popover-open .mud-list-item");
        await Assertions.Expect(items.First).ToBeVisibleAsync();
        // The option that reads exactly so ("sd-turbo", not "demo-sd-turbo"), else the first that contains it.
        var exact = items.Filter(new() { HasTextRegex = new Regex("^\\s*" + Regex.Escape(option) + "\\s*$") });
        var item = await exact.CountAsync() > 0 ? exact.First : items.Filter(new() { HasText = option }).First;
        await item.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    /// <summary>Opens the form's Advanced panel (when closed).</summary>
    public static async Task OpenAdvancedAsync(this IPage page)
    {
        if (await page.Locator("#param-steps").IsVisibleAsync()) return;
        await page.ByTestId("advanced-panel").Locator(".mud-expand-panel-header").ClickAsync();
        await Assertions.Expect(page.Locator("#param-steps")).ToBeVisibleAsync();
    }

    /// <summary>Types into a field and leaves it, as a user tabbing on.</summary>
    public static async Task EnterAsync(this IPage page, string selector, string text)
    {
        await page.Locator(selector).FillAsync(text);
        await page.Locator(selector).BlurAsync();
    }

    /// <summary>Inverts a photo from the studio and waits for the result page; returns its URL.</summary>
    public static async Task<string> InvertAsync(this IPage page, string prompt, string? photo = null)
    {
        await page.OpenStudioAsync();
        await page.UploadAsync(photo ?? Photo());
        await page.Locator("#prompt-input").FillAsync(prompt);
        await page.Locator("#submit-inversion").ClickAsync();
        await page.WaitForURLAsync(new Regex("/inversions/[0-9a-f-]{36}$"), new() { Timeout = 120_000 });
        await Assertions.Expect(page.ByTestId("result-reconstruction")).ToBeVisibleAsync();
        return page.Url;
    }

    /// <summary>
    /// Clicks Invert and waits for the job's page; when the studio refuses instead, fails with what it
    /// said (a timeout would hide it).
    /// </summary>
    public static async Task SubmitJobAsync(this IPage page)
    {
        var moved = page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}"), new() { WaitUntil = WaitUntilState.Commit });
        var refusal = page.Locator("[data-testid=form-error], [data-testid=form-problems]").First;
        var refused = refusal.WaitForAsync();
        await page.Locator("#submit-inversion").ClickAsync();
        var first = await Task.WhenAny(moved, refused);
        _ = moved.ContinueWith(t => t.Exception, TaskScheduler.Default);
        _ = refused.ContinueWith(t => t.Exception, TaskScheduler.Default);
        await first;
        if (first == refused) Assert.Fail("the studio refused the job: " + await refusal.InnerTextAsync());
    }

    /// <summary>Answers an open confirmation dialog with one of its buttons and waits for it to close.</summary>
    public static async Task ConfirmAsync(this IPage page, string button)
    {
        var dialog = page.Locator(".mud-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await dialog.Locator(".mud-dialog-actions button").Filter(new() { HasText = button }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
    }

    /// <summary>The content of a meta tag of the document's head (property= or name=), or null.</summary>
    public static async Task<string?> MetaAsync(this IPage page, string property)
    {
        var meta = page.Locator($"head meta[property='{property}'], head meta[name='{property}']");
        return await meta.CountAsync() == 0 ? null : await meta.First.GetAttributeAsync("content");
    }

    /// <summary>Whether an element's text fits on one line (it does not wrap).</summary>
    public static Task<bool> IsOneLineAsync(this ILocator element) => element.EvaluateAsync<bool>(
        "e => { const s = getComputedStyle(e); const line = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.5; " +
        "const r = document.createRange(); r.selectNodeContents(e); const rows = new Set([...r.getClientRects()].map(x => Math.round(x.top))); " +
        "return rows.size <= 1 && e.getBoundingClientRect().height < line * 2 + parseFloat(s.paddingTop) + parseFloat(s.paddingBottom) + 4; }");

    /// <summary>The text of the whole page, for counting how often something is said.</summary>
    public static Task<string> TextAsync(this IPage page) => page.Locator("body").InnerTextAsync();

    public static int Occurrences(string text, string part) => Regex.Matches(text, Regex.Escape(part)).Count;
}
