using System.Text.Json;
using Microsoft.Playwright;

namespace ReNoise.Web.Tests.EndToEnd;

/// <summary>
/// Checks every page the end-to-end tests visit the same way: nothing wider than the screen, one
/// &lt;main&gt;, one &lt;h1&gt; and no skipped heading level, one &lt;title&gt;, an accessible name on
/// everything one can click or type into (Chromium's own accessibility tree), and chip and filled
/// button text at 4.5:1 or more against its background.
/// </summary>
public static class PageAudit
{
    private const string Script = """
        () => {
          const problems = [];
          const root = document.documentElement;
          if (root.scrollWidth > root.clientWidth + 1)
            problems.push(`the page is ${root.scrollWidth} px wide on a ${root.clientWidth} px screen: ` +
              [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
                .slice(-3).map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} "${(e.textContent || '').trim().slice(0, 40)}"`).join('; '));
          const mains = document.querySelectorAll('main');
          if (mains.length !== 1) problems.push(`${mains.length} <main> landmarks`);
          const titles = [...document.querySelectorAll('title')].filter(t => !t.closest('svg')); // an SVG's <title> is its tooltip
          if (titles.length !== 1 || !document.title.trim()) problems.push(`${titles.length} <title> elements ("${document.title}")`);
          const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length) && getComputedStyle(e).visibility !== 'hidden';
          const headings = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].filter(visible);
          const h1 = headings.filter(h => h.tagName === 'H1').length;
          if (h1 !== 1) problems.push(`${h1} <h1> headings`);
          let level = 0;
          for (const h of headings) {
            const next = Number(h.tagName[1]);
            if (next > level + 1) problems.push(`heading "${h.textContent.trim().slice(0, 40)}" jumps from h${level} to h${next}`);
            level = next;
          }
          const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
          const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
          const backgroundOf = e => {
            const layers = [];
            for (let n = e; n; n = n.parentElement) { const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
            let color = { r: 255, g: 255, b: 255, a: 1 };
            for (let i = layers.length - 1; i >= 0; i--) color = over(layers[i], color);
            return color;
          };
          const luminance = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
          for (const e of [...document.querySelectorAll('.mud-chip, .mud-button-filled')].filter(visible)) {
            const text = (e.textContent || '').trim();
            if (!text) continue;
            const style = getComputedStyle(e);
            if (style.opacity !== '1' || e.closest('[disabled], .mud-disabled')) continue;
            const background = backgroundOf(e);
            const foreground = over(parse(style.color) || { r: 0, g: 0, b: 0, a: 1 }, background);
            const [l1, l2] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
            const ratio = (l1 + 0.05) / (l2 + 0.05);
            if (ratio < 4.5) problems.push(`"${text.slice(0, 30)}" has contrast ${ratio.toFixed(2)}:1`);
          }
          return problems;
        }
        """;

    /// <summary>Roles a user acts on; each needs a name a screen reader can say.</summary>
    private static readonly HashSet<string> Named =
        ["button", "link", "textbox", "combobox", "checkbox", "radio", "slider", "searchbox", "spinbutton", "switch", "menuitem", "tab"];

    public static async Task AssertAsync(IPage page, string where)
    {
        // Colours are read once transitions have ended (a button just enabled fades in to its colours;
        // the render that enables it may still be on its way).
        await page.WaitForTimeoutAsync(250);
        await page.WaitForFunctionAsync("() => document.getAnimations().every(a => !(a instanceof CSSTransition) || a.playState !== 'running')");
        var problems = (await page.EvaluateAsync<string[]>(Script)).ToList();
        problems.AddRange(await UnnamedControlsAsync(page));
        Assert.True(problems.Count == 0, $"{where} ({page.Url}):\n" + string.Join("\n", problems));
    }

    /// <summary>The element behind an accessibility node: its tag and attributes, to find it in the page.</summary>
    private static async Task<string> DescribeAsync(ICDPSession session, JsonElement node)
    {
        if (!node.TryGetProperty("backendDOMNodeId", out var id)) return "(no element)";
        var described = await session.SendAsync("DOM.describeNode", new Dictionary<string, object> { ["backendNodeId"] = id.GetInt32() });
        var element = described!.Value.GetProperty("node");
        var attributes = element.TryGetProperty("attributes", out var a) ? a.EnumerateArray().Select(x => x.GetString()).ToList() : [];
        var pairs = Enumerable.Range(0, attributes.Count / 2).Select(i => $"{attributes[2 * i]}=\"{attributes[2 * i + 1]}\"");
        return $"<{element.GetProperty("nodeName").GetString()!.ToLowerInvariant()} {string.Join(' ', pairs)}>";
    }

    private static async Task<IEnumerable<string>> UnnamedControlsAsync(IPage page)
    {
        var session = await page.Context.NewCDPSessionAsync(page);
        try
        {
            var tree = await session.SendAsync("Accessibility.getFullAXTree");
            var unnamed = new List<string>();
            foreach (var node in tree!.Value.GetProperty("nodes").EnumerateArray())
            {
                if (node.TryGetProperty("ignored", out var ignored) && ignored.GetBoolean()) continue;
                string role = node.TryGetProperty("role", out var r) && r.TryGetProperty("value", out var rv) ? rv.GetString() ?? "" : "";
                if (!Named.Contains(role)) continue;
                string name = node.TryGetProperty("name", out var n) && n.TryGetProperty("value", out var nv) ? nv.GetString() ?? "" : "";
                if (string.IsNullOrWhiteSpace(name)) unnamed.Add($"a {role} has no accessible name: {await DescribeAsync(session, node)}");
            }
            return unnamed;
        }
        finally
        {
            await session.DetachAsync();
        }
    }
}
