using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ReNoise.Web.Tests.Integration;

namespace ReNoise.Web.Tests.EndToEnd;

/// <summary>
/// The habits of a desktop app and of a phone: a one-row top bar, no page wider than the screen, a
/// visible keyboard focus, Escape closing dialogs, dark mode kept across full loads, a reconnect
/// banner when the server goes; re-inverting from a result, named presets per session, and recent
/// jobs that stop offering "Open" once what they made is deleted.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class LayoutAndSessionTests(StudioApp app)
{
    [Theory]
    [MemberData(nameof(Viewports.Both), MemberType = typeof(Viewports))]
    public async Task The_top_bar_is_one_row_and_no_page_is_wider_than_the_screen(string viewport)
    {
        var watch = app.Watch().Expect("status of 404");
        var page = await (await app.ContextAsync(viewport)).NewPageAsync();
        foreach (string url in new[] { "/", "/gallery", await app.InversionAsync(viewport) })
        {
            if (url == "/") await page.OpenStudioAsync();
            else await page.GotoInteractiveAsync(url);
            // Measured in the page, all at once: the bar, and each of its items inside its one row.
            var problems = await page.EvaluateAsync<string[]>("""
                () => {
                  const bar = document.querySelector('header.mud-appbar').getBoundingClientRect();
                  const problems = bar.height > 72 ? [`the top bar is ${bar.height} px high`] : [];
                  for (const id of ['brand', 'nav-studio', 'nav-gallery', 'dark-mode-toggle']) {
                    const e = document.querySelector(`[data-testid=${id}]`);
                    const b = e && e.getBoundingClientRect();
                    if (!b || b.width === 0) problems.push(`${id} is not shown`);
                    else if (b.top < bar.top - 1 || b.bottom > bar.bottom + 1 || b.right > bar.right + 1)
                      problems.push(`${id} is outside the one-row top bar (${b.left},${b.top} ${b.width}x${b.height} in ${bar.width}x${bar.height})`);
                  }
                  return problems;
                }
                """);
            Assert.True(problems.Length == 0, $"{url}: " + string.Join("; ", problems));
            await PageAudit.AssertAsync(page, url);
        }
        var missing = await page.GotoAsync($"/inversions/{Guid.NewGuid()}");
        Assert.Equal(404, missing!.Status);
        await Assertions.Expect(page.ByTestId("not-found")).ToBeVisibleAsync();
        await PageAudit.AssertAsync(page, "the not-found page");
        await app.ShotAsync(page, "not-found", viewport);
        await page.CloseAsync();
        await watch.AssertCleanAsync();
    }

    [Theory]
    [MemberData(nameof(Viewports.Both), MemberType = typeof(Viewports))]
    public async Task The_keyboard_focus_on_the_drop_zone_is_visible(string viewport)
    {
        var watch = app.Watch();
        var page = await (await app.ContextAsync(viewport)).NewPageAsync();
        await page.OpenStudioAsync();
        for (int i = 0; i < 40 && await page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''") != "upload-input"; i++)
            await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.Locator("#upload-input")).ToBeFocusedAsync();
        var outline = await page.ByTestId("upload-dropzone").EvaluateAsync<string[]>("e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }");
        Assert.True(outline[0] != "none" && double.Parse(outline[1].Replace("px", ""), System.Globalization.CultureInfo.InvariantCulture) >= 2,
            $"the focused drop zone shows no outline ({outline[0]} {outline[1]})");
        await page.CloseAsync();
        await watch.AssertCleanAsync();
    }

    [Theory]
    [MemberData(nameof(Viewports.Both), MemberType = typeof(Viewports))]
    public async Task Escape_closes_the_delete_confirmation_and_dark_mode_survives_a_full_reload(string viewport)
    {
        var watch = app.Watch();
        var page = await (await app.ContextAsync(viewport)).NewPageAsync();
        string url = await app.InversionAsync(viewport);
        await page.GotoInteractiveAsync(url);

        await page.ByTestId("inversion-delete").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);
        Assert.Equal(url, page.Url);

        const string background = "() => { const m = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number); return m[0] + m[1] + m[2]; }";
        Assert.True(await page.EvaluateAsync<int>(background) > 600, "the page does not start light");
        await page.ByTestId("dark-mode-toggle").ClickAsync();
        await page.WaitForFunctionAsync($"() => ({background})() < 200");
        // A full page load paints dark from the first byte: the server reads the choice from a cookie.
        await page.ReloadAsync(new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        Assert.True(await page.EvaluateAsync<int>(background) < 200, "dark mode was lost on a full reload");
        await Assertions.Expect(page.ByTestId("dark-mode-toggle")).ToHaveAttributeAsync("aria-pressed", "true");
        await page.GotoInteractiveAsync("/gallery");
        Assert.True(await page.EvaluateAsync<int>(background) < 200, "dark mode was lost on another page");
        await PageAudit.AssertAsync(page, "the gallery in dark mode");
        await app.ShotAsync(page, "gallery-dark", viewport);
        // Back to light for the other tests of this browser.
        await page.ByTestId("dark-mode-toggle").ClickAsync();
        await page.WaitForFunctionAsync($"() => ({background})() > 600");
        await page.ReloadAsync();
        Assert.True(await page.EvaluateAsync<int>(background) > 600, "light mode was lost on a full reload");
        await page.CloseAsync();
        await watch.AssertCleanAsync();
    }

    [Theory]
    [MemberData(nameof(Viewports.Both), MemberType = typeof(Viewports))]
    public async Task A_result_is_re_inverted_with_its_settings_presets_are_kept_per_session_and_a_deleted_result_loses_its_Open(string viewport)
    {
        var watch = app.Watch();
        var context = await app.ContextAsync(viewport);
        var page = await context.NewPageAsync();
        string prompt = $"a short-lived astronaut ({viewport})";
        string url = await page.InvertAsync(prompt);

        // Re-invert from the result: the same photo, prompt and parameters, prefilled.
        await page.ByTestId("reinvert").ClickAsync();
        await page.WaitForURLAsync(new Regex(@"/\?from="));
        await Assertions.Expect(page.Locator("#upload-input")).ToBeEnabledAsync();
        await Assertions.Expect(page.ByTestId("reinvert-note")).ToContainTextAsync(prompt);
        await Assertions.Expect(page.Locator("#prompt-input")).ToHaveValueAsync(prompt);
        await Assertions.Expect(page.ByTestId("upload-preview")).ToBeVisibleAsync();
        await Assertions.Expect(page.ByTestId("model-family")).ToHaveTextAsync("SD 2.x");

        // The preset chip says when the values are no longer the preset's.
        await Assertions.Expect(page.ByTestId("preset-chip")).ToHaveTextAsync("preset: demo");
        await page.OpenAdvancedAsync();
        await page.EnterAsync("#param-steps", "6");
        await Assertions.Expect(page.ByTestId("preset-chip")).ToHaveTextAsync("preset: demo · changed");

        // Saved under a name, kept for this session: reset to the model's preset, then applied again.
        string name = $"six steps {viewport}";
        await page.ByTestId("preset-save-as").ClickAsync();
        await page.Locator("#preset-name").FillAsync(name);
        await page.ByTestId("preset-save").ClickAsync();
        await Assertions.Expect(page.ByTestId("preset-save-as")).ToBeVisibleAsync();
        await Assertions.Expect(page.ByTestId("preset-chip")).ToHaveTextAsync($"preset: {name}");
        await page.ChooseAsync("preset-select", "the model's preset");
        await Assertions.Expect(page.ByTestId("preset-chip")).ToHaveTextAsync("preset: demo");
        await Assertions.Expect(page.Locator("#param-steps")).ToHaveValueAsync("4");
        await page.ChooseAsync("preset-select", name);
        await Assertions.Expect(page.Locator("#param-steps")).ToHaveValueAsync("6");
        await Assertions.Expect(page.ByTestId("preset-chip")).ToHaveTextAsync($"preset: {name}");
        await PageAudit.AssertAsync(page, "the studio re-inverting");
        await app.ShotAsync(page, "studio-reinvert", viewport);

        // Another browser's session does not have it.
        await using (var other = await app.NewContextAsync(viewport))
        {
            var elsewhere = await other.NewPageAsync();
            await elsewhere.OpenStudioAsync();
            await elsewhere.ByTestId("preset-select").ClickAsync();
            await Assertions.Expect(elsewhere.Locator(".mud-popover-open .mud-list-item")).Not.ToHaveCountAsync(0);
            await Assertions.Expect(elsewhere.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = name })).ToHaveCountAsync(0);
        }

        // Deleted: its job in the recent list no longer offers "Open" (it would lead to "not found").
        var row = page.ByTestId("recent-job").Filter(new() { HasText = prompt });
        await Assertions.Expect(row.ByTestIdIn("recent-job-open")).ToHaveCountAsync(1);
        await page.GotoInteractiveAsync(url);
        await page.ByTestId("inversion-delete").ClickAsync();
        await page.ConfirmAsync("Delete");
        await page.WaitForURLAsync(new Regex("/gallery$"));
        await page.OpenStudioAsync();
        await Assertions.Expect(page.ByTestId("recent-job").First).ToBeVisibleAsync();
        await Assertions.Expect(row.ByTestIdIn("recent-job-open")).ToHaveCountAsync(0);
        // (The job goes with what it made, or stays marked "deleted".)
        if (await row.CountAsync() > 0) await Assertions.Expect(row.ByTestIdIn("recent-job-gone")).ToBeVisibleAsync();
        await page.CloseAsync();
        await watch.AssertCleanAsync();
    }

    [Fact]
    public async Task A_reconnect_banner_shows_within_12_seconds_of_the_server_going_down()
    {
        // An app of its own, stopped under the page.
        // (A stopping host lets open connections finish for its shutdown timeout; a second here, as a
        // process that is killed or a machine that goes away ends them at once.)
        var factory = new StudioFactory(null, new() { ["shutdownTimeoutSeconds"] = "1" });
        factory.UseKestrel(0);
        factory.StartServer();
        string baseUrl = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First().Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1");
        // Not watched: a browser whose server is gone reports failed connections, as it should.
        await using var context = await app.NewContextAsync(Viewports.Desktop, watch: false, baseUrl: baseUrl);
        var page = await context.NewPageAsync();
        await page.OpenStudioAsync();
        await Assertions.Expect(page.ByTestId("reconnect-banner")).Not.ToBeVisibleAsync();

        var stopping = factory.DisposeAsync().AsTask();
        await Assertions.Expect(page.ByTestId("reconnect-banner")).ToBeVisibleAsync(new() { Timeout = 12_000 });
        await Assertions.Expect(page.ByTestId("reconnect-banner")).ToContainTextAsync(new Regex("Reconnecting|Could not reconnect|no longer knows"));
        await app.ShotAsync(page, "reconnect", Viewports.Desktop);
        await stopping;
    }
}
