using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using ReNoise.Data.Entities;

namespace ReNoise.Data.Tests;

public sealed class ListingTests : StoreTests
{
    private static readonly string[] HeavyColumns =
        [nameof(Inversion.InputPng), nameof(Inversion.ReconstructionPng), nameof(Inversion.Latent),
         nameof(Inversion.CleanLatent), nameof(Inversion.NoiseMaps), nameof(Inversion.ParametersJson),
         nameof(Inversion.ResidualsJson)];

    [Fact]
    public void Summary_type_carries_no_blob_but_the_thumbnail()
    {
        var blobProperties = typeof(InversionSummary).GetProperties()
            .Where(p => p.PropertyType == typeof(byte[]) || p.PropertyType == typeof(float[]))
            .Select(p => p.Name);
        Assert.Equal([nameof(InversionSummary.ThumbnailPng)], blobProperties);
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
        Assert.Contains(nameof(Inversion.ThumbnailPng), selected);
        Assert.Contains(nameof(Inversion.OwnerId), selected);
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
        Assert.Equal((source.ModelName, source.SchedulerName, source.Nfe, source.Width, source.Height), (first.ModelName, first.SchedulerName, first.Nfe, first.Width, first.Height));
        Assert.Equal((28.0, 0.9), (first.Psnr, first.Ssim));
        Assert.Equal(source.ThumbnailPng, first.ThumbnailPng);
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
        var full = await Store.GetEditAsync(Owner, b);
        Assert.Equal(Samples.Bytes(200, 9), full!.ImagePng);
    }
}
