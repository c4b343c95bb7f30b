using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using ReNoise.Data.Entities;

namespace ReNoise.Data.Tests;

public sealed class ListingTests : StoreTests
{
    private static readonly string[] HeavyColumns =
        [nameof(InversionBlob.Data), nameof(Inversion.ParametersJson), nameof(Inversion.ResidualsJson)];

    [Fact]
    public void Summary_type_and_inversion_row_carry_no_blob()
    {
        Assert.DoesNotContain(typeof(InversionSummary).GetProperties(), p => p.PropertyType == typeof(byte[]) || p.PropertyType == typeof(float[]));
        // The row pages read holds no image or tensor: those are InversionBlobs rows.
        Assert.DoesNotContain(typeof(Inversion).GetProperties(), p => p.PropertyType == typeof(byte[]));
        Assert.DoesNotContain(typeof(EditSummary).GetProperties(), p => p.PropertyType == typeof(byte[]));
        Assert.DoesNotContain(typeof(JobInfo).GetProperties(), p => p.PropertyType == typeof(byte[]));
    }

    [Theory]
    [InlineData(InversionSort.Newest)]
    [InlineData(InversionSort.Oldest)]
    [InlineData(InversionSort.Psnr)]
    [InlineData(InversionSort.Prompt)]
    public void Listing_sql_selects_no_heavy_column(InversionSort sort)
    {
        string sql = GalleryStore.InversionSummaries(Db.NewContext(), Owner, sort).ToQueryString();
        var selected = Regex.Matches(sql, "\"(\\w+)\"").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains(nameof(Inversion.OwnerId), selected);
        Assert.DoesNotContain("InversionBlobs", selected);
        foreach (var column in HeavyColumns) Assert.DoesNotContain(column, selected);
    }

    [Fact]
    public async Task Listing_returns_summary_fields_and_sorts_as_asked()
    {
        // Created in this order, one minute apart.
        var spec = new (string Prompt, double? Psnr)[] { ("banana", 28.0), ("Apple", null), ("cherry", 31.5), ("apricot", 25.0) };
        var ids = new List<Guid>();
        foreach (var (prompt, psnr) in spec)
        {
            ids.Add(await Store.AddInversionAsync(Owner, Samples.Inversion(prompt, psnr)));
            Db.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        async Task<string[]> Prompts(InversionSort sort) => (await Store.ListInversionsAsync(Owner, sort)).Select(s => s.Prompt).ToArray();
        Assert.Equal(["apricot", "cherry", "Apple", "banana"], await Prompts(InversionSort.Newest));
        Assert.Equal(["banana", "Apple", "cherry", "apricot"], await Prompts(InversionSort.Oldest));
        Assert.Equal(["cherry", "banana", "apricot", "Apple"], await Prompts(InversionSort.Psnr));
        Assert.Equal(["Apple", "apricot", "banana", "cherry"], await Prompts(InversionSort.Prompt));

        var first = (await Store.ListInversionsAsync(Owner, InversionSort.Oldest))[0];
        var source = Samples.Inversion("banana", 28.0);
        Assert.Equal(ids[0], first.Id);
        Assert.Equal((source.Row.ModelName, source.Row.SchedulerName, source.Row.Nfe, source.Row.Width, source.Row.Height), (first.ModelName, first.SchedulerName, first.Nfe, first.Width, first.Height));
        Assert.Equal((28.0, 0.9), (first.Psnr, first.Ssim));
        Assert.Equal(source.Files.ThumbnailPng, await Store.GetInversionImageAsync(Owner, first.Id, InversionImage.Thumbnail));
        Assert.Equal(new DateTime(2024, 9, 30, 12, 0, 0, DateTimeKind.Utc), first.CreatedAt);
        Assert.Equal(DateTimeKind.Utc, first.CreatedAt.Kind);
    }

    [Fact]
    public async Task Edits_list_in_creation_order_without_images()
    {
        var inversion = await Store.AddInversionAsync(Owner, Samples.Inversion());
        var a = (await Store.AddEditAsync(Owner, Samples.Edit(inversion, "first")))!.Value;
        Db.Clock.Advance(TimeSpan.FromSeconds(1));
        var b = (await Store.AddEditAsync(Owner, Samples.Edit(inversion, "second")))!.Value;

        var edits = await Store.ListEditsAsync(Owner, inversion);
        Assert.Equal([a, b], edits.Select(e => e.Id));
        Assert.Equal(["first", "second"], edits.Select(e => e.Prompt));
        Assert.Equal(Samples.Bytes(200, 9), await Store.GetEditImageAsync(Owner, b));
    }
}
