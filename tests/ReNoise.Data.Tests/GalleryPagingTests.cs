using Microsoft.EntityFrameworkCore;
using ReNoise.Data.Entities;

namespace ReNoise.Data.Tests;

/// <summary>The gallery at scale: one page at a time, search, model filter, edit counts, several deleted at once.</summary>
public sealed class GalleryPagingTests : StoreTests
{
    private async Task<List<Guid>> AddAsync(params (string Prompt, string Model)[] items)
    {
        var ids = new List<Guid>();
        foreach (var (prompt, model) in items)
        {
            var inversion = Samples.Inversion(prompt);
            inversion.Row.ModelName = model;
            ids.Add(await Store.AddInversionAsync(Owner, inversion));
            Db.Clock.Advance(TimeSpan.FromMinutes(1));
        }
        return ids;
    }

    [Fact]
    public async Task A_page_holds_only_its_rows_and_the_total_counts_them_all()
    {
        await AddAsync(Enumerable.Range(1, 30).Select(i => ($"photo {i:00}", "demo")).ToArray());

        var first = await Store.ListInversionsPageAsync(Owner, new GalleryQuery { Take = 12, Sort = InversionSort.Oldest });
        var third = await Store.ListInversionsPageAsync(Owner, new GalleryQuery { Skip = 24, Take = 12, Sort = InversionSort.Oldest });

        Assert.Equal(30, first.Total);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"photo {i:00}"), first.Items.Select(i => i.Prompt));
        Assert.Equal(Enumerable.Range(25, 6).Select(i => $"photo {i:00}"), third.Items.Select(i => i.Prompt));
        Assert.Equal(30, third.Total);
    }

    [Fact]
    public async Task Search_matches_part_of_the_prompt_in_any_case_and_the_filter_one_model()
    {
        await AddAsync(("A photo of a Cat", "demo"), ("a cat on a sofa", "sd-turbo"), ("a dog", "demo"), ("100% cat_food", "demo"));

        async Task<string[]> Find(string? search, string? model = null) =>
            (await Store.ListInversionsPageAsync(Owner, new GalleryQuery { Search = search, Model = model, Sort = InversionSort.Oldest }))
                .Items.Select(i => i.Prompt).ToArray();

        Assert.Equal(["A photo of a Cat", "a cat on a sofa", "100% cat_food"], await Find("CAT"));
        Assert.Equal(["A photo of a Cat", "100% cat_food"], await Find("cat", "demo"));
        Assert.Equal(["a cat on a sofa"], await Find(null, "sd-turbo"));
        Assert.Equal(["100% cat_food"], await Find("% cat_")); // no wildcard meaning
        Assert.Empty(await Find("zebra"));
        Assert.Equal(["demo", "sd-turbo"], await Store.ListInversionModelsAsync(Owner));
    }

    [Fact]
    public async Task Each_row_counts_its_edits_and_the_page_reads_no_heavy_column()
    {
        var ids = await AddAsync(("edited", "demo"), ("plain", "demo"));
        await Store.AddEditAsync(Owner, Samples.Edit(ids[0], "one"));
        await Store.AddEditAsync(Owner, Samples.Edit(ids[0], "two"));

        var page = await Store.ListInversionsPageAsync(Owner, new GalleryQuery { Sort = InversionSort.Oldest });
        Assert.Equal([2, 0], page.Items.Select(i => i.EditCount));

        string sql = GalleryStore.InversionSummaries(Db.NewContext(), Owner, InversionSort.Newest).ToQueryString();
        Assert.DoesNotContain("\"ImagePng\"", sql);
        Assert.DoesNotContain("\"Data\"", sql);
    }

    [Fact]
    public async Task Several_inversions_are_deleted_at_once_and_another_owners_are_left_alone()
    {
        var ids = await AddAsync(("one", "demo"), ("two", "demo"), ("three", "demo"));
        Guid stranger = await Store.CreateSessionAsync();
        Guid theirs = await Store.AddInversionAsync(stranger, Samples.Inversion("theirs"));
        await Store.AddEditAsync(Owner, Samples.Edit(ids[0], "an edit"));

        int deleted = await Store.DeleteInversionsAsync(Owner, [ids[0], ids[2], theirs]);

        Assert.Equal(2, deleted);
        Assert.Equal(["two"], (await Store.ListInversionsAsync(Owner)).Select(i => i.Prompt));
        Assert.Single(await Store.ListInversionsAsync(stranger));
        await using var db = Db.NewContext();
        Assert.Equal(0, await db.Edits.CountAsync());
        Assert.Equal(0, await db.InversionBlobs.CountAsync(b => b.InversionId == ids[0] || b.InversionId == ids[2]));
        Assert.Equal(0, await Store.DeleteInversionsAsync(Owner, []));
    }

    [Fact]
    public async Task Paging_arguments_out_of_range_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListInversionsPageAsync(Owner, new GalleryQuery { Take = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListInversionsPageAsync(Owner, new GalleryQuery { Take = GalleryQuery.MaxTake + 1 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListInversionsPageAsync(Owner, new GalleryQuery { Skip = -1 }));
    }
}

/// <summary>Named parameter presets, saved per session.</summary>
public sealed class PresetTests : StoreTests
{
    [Fact]
    public async Task A_preset_is_saved_listed_by_name_replaced_under_its_name_and_deleted()
    {
        var soft = await Store.SavePresetAsync(Owner, "  soft edits ", "demo", """{"renoiseSteps":3}""");
        Db.Clock.Advance(TimeSpan.FromMinutes(1));
        await Store.SavePresetAsync(Owner, "exact", "demo", """{"renoiseSteps":9}""");
        var replaced = await Store.SavePresetAsync(Owner, "soft edits", "sd-turbo", """{"renoiseSteps":4}""");

        Assert.Equal(soft!.Id, replaced!.Id);
        var presets = await Store.ListPresetsAsync(Owner);
        Assert.Equal(["exact", "soft edits"], presets.Select(p => p.Name));
        Assert.Equal(("sd-turbo", """{"renoiseSteps":4}"""), (presets[1].ModelName, presets[1].ParametersJson));

        Assert.True(await Store.DeletePresetAsync(Owner, soft.Id));
        Assert.Equal(["exact"], (await Store.ListPresetsAsync(Owner)).Select(p => p.Name));
    }

    [Fact]
    public async Task Presets_are_the_sessions_own()
    {
        var mine = await Store.SavePresetAsync(Owner, "mine", "demo", "{}");
        Guid stranger = await Store.CreateSessionAsync();

        Assert.Empty(await Store.ListPresetsAsync(stranger));
        Assert.False(await Store.DeletePresetAsync(stranger, mine!.Id));
        await Store.SavePresetAsync(stranger, "mine", "demo", "{}"); // the same name in another session is another preset
        Assert.Single(await Store.ListPresetsAsync(Owner));
    }

    [Fact]
    public async Task A_session_holds_a_bounded_number_of_presets_and_names_must_fit()
    {
        for (int i = 0; i < GalleryStore.MaxPresetsPerSession; i++) Assert.NotNull(await Store.SavePresetAsync(Owner, $"p{i}", "demo", "{}"));
        Assert.Null(await Store.SavePresetAsync(Owner, "one more", "demo", "{}"));
        Assert.NotNull(await Store.SavePresetAsync(Owner, "p3", "demo", "{}")); // replacing one is still allowed

        await Assert.ThrowsAsync<ArgumentException>(() => Store.SavePresetAsync(Owner, "   ", "demo", "{}"));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.SavePresetAsync(Owner, new string('x', GalleryStore.MaxPresetNameLength + 1), "demo", "{}"));
    }
}
