using Bunit;
using ReNoise.Data;
using ReNoise.Web.Components.Shared;

namespace ReNoise.Web.Tests.Components;

public sealed class EditTimelineTests : StudioTestContext
{
    private static readonly Guid Inversion = Guid.NewGuid();

    private static EditSummary Edit(string prompt, double guidance, int minutesAgo) =>
        new(Guid.NewGuid(), Inversion, DateTime.UtcNow.AddMinutes(-minutesAgo), prompt, guidance, 4, 250);

    [Fact]
    public void Edits_are_listed_newest_first_with_prompt_parameters_image_and_download()
    {
        var older = Edit("a cat in a hat", 1.0, 10);
        var newer = Edit("a cat in a hat, oil painting", 4.5, 1);
        var timeline = Render<EditTimeline>(p => p.Add(x => x.Edits, new[] { older, newer }));

        var items = timeline.FindAll("[data-testid=edit-item]");
        Assert.Equal([newer.Id.ToString(), older.Id.ToString()], items.Select(i => i.GetAttribute("data-edit-id")));
        Assert.Equal("“a cat in a hat, oil painting”", items[0].QuerySelector("[data-testid=edit-item-prompt]")!.TextContent.Trim());
        Assert.Contains("edit guidance 4.5 · 4 model calls", items[0].QuerySelector("[data-testid=edit-item-parameters]")!.TextContent);
        Assert.Equal($"/api/edits/{newer.Id}/image.png", items[0].QuerySelector("[data-testid=edit-image]")!.GetAttribute("src"));
        var download = items[1].QuerySelector("[data-testid=edit-download]")!;
        Assert.Equal($"/api/edits/{older.Id}/image.png", download.GetAttribute("href"));
        Assert.NotNull(download.GetAttribute("download"));
    }

    [Fact]
    public void Rerun_share_and_delete_report_the_edit_they_belong_to()
    {
        var first = Edit("a red barn", 1.0, 5);
        var second = Edit("a blue barn", 2.0, 2);
        var rerun = new List<EditSummary>();
        var shared = new List<EditSummary>();
        var deleted = new List<EditSummary>();
        var timeline = Render<EditTimeline>(p => p
            .Add(x => x.Edits, new[] { first, second })
            .Add(x => x.OnRerun, e => rerun.Add(e))
            .Add(x => x.OnShare, e => shared.Add(e))
            .Add(x => x.OnDelete, e => deleted.Add(e)));

        timeline.FindAll("[data-testid=edit-rerun]")[1].Click();
        timeline.FindAll("[data-testid=edit-share]")[0].Click();
        timeline.FindAll("[data-testid=edit-delete]")[0].Click();

        Assert.Equal([first], rerun);
        Assert.Equal([second], shared);
        Assert.Equal([second], deleted);
    }

    [Fact]
    public void Without_edits_the_history_explains_how_to_make_one()
    {
        var timeline = Render<EditTimeline>(p => p.Add(x => x.Edits, Array.Empty<EditSummary>()));
        Assert.Contains("No edits yet", timeline.Find("[data-testid=edit-timeline-empty]").TextContent);
        Assert.Empty(timeline.FindAll("[data-testid=edit-item]"));
    }
}
