using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ReNoise.Data.Entities;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;

namespace ReNoise.Web.Tests.Integration;

/// <summary>An exported inversion whose manifest was altered is refused with a message, and nothing is stored.</summary>
public sealed class ImportRefusalTests(StudioFactory factory) : IClassFixture<StudioFactory>
{
    private InversionArchives Archives => factory.Services.GetRequiredService<InversionArchives>();

    /// <summary>One real inversion on the demo model, exported as the studio's zip.</summary>
    private async Task<(Guid Owner, byte[] Zip)> ExportedAsync()
    {
        var (_, owner) = await factory.NewBrowserAsync();
        var submitted = await factory.Services.GetRequiredService<JobQueue>().SubmitInversionAsync(owner,
            new InversionSubmission(TestImages.Astronaut(), "astronaut.png", "an astronaut", "demo-sd-turbo",
                ConfiguredModelCatalog.DemoPreset.Parameters with { Width = 128, Height = 128 }));
        Assert.Null(submitted.Error);
        var job = await Waiting.ForJobAsync(factory, owner, submitted.JobId!.Value, TimeSpan.FromSeconds(90), JobStatus.Done, JobStatus.Failed);
        Assert.Equal(JobStatus.Done, job.Status);
        var export = await Archives.ExportAsync(owner, job.InversionId!.Value);
        Assert.NotNull(export);
        return (owner, export.Zip);
    }

    /// <summary>The zip with its manifest.json changed by <paramref name="change"/>.</summary>
    private static byte[] WithManifest(byte[] zip, Action<JsonObject> change)
    {
        using var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                using var read = entry.Open();
                using var bytes = new MemoryStream();
                read.CopyTo(bytes);
                byte[] data = bytes.ToArray();
                if (entry.Name == "manifest.json")
                {
                    var manifest = JsonNode.Parse(data)!.AsObject();
                    change(manifest);
                    data = System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString());
                }
                using var write = target.CreateEntry(entry.FullName).Open();
                write.Write(data);
            }
        }
        return output.ToArray();
    }

    [Fact]
    public async Task An_inversion_is_imported_only_on_the_kind_of_model_that_made_it_and_a_manifest_without_its_model_is_refused()
    {
        var (owner, zip) = await ExportedAsync();
        int before = (await factory.WithStoreAsync(s => s.ListInversionsAsync(owner))).Count;

        // The export itself comes back.
        var imported = await Archives.ImportAsync(owner, [("inversion.zip", zip)]);
        Assert.Null(imported.Error);

        // Said to come from SD 2.1 (the same family and schedule as the demo's SD-Turbo): no model here is one.
        var otherVariant = await Archives.ImportAsync(owner, [("inversion.zip", WithManifest(zip, m => m["model"]!["variant"] = "Sd2"))]);
        Assert.Null(otherVariant.InversionId);
        Assert.Contains("the inversion was made on a Sd2 one", otherVariant.Error);

        // "model": null, and a model without its path: refused in words, not an exception.
        var noModel = await Archives.ImportAsync(owner, [("inversion.zip", WithManifest(zip, m => m["model"] = null))]);
        Assert.Contains("is not a valid inversion manifest (it has no model)", noModel.Error);
        var noPath = await Archives.ImportAsync(owner, [("inversion.zip", WithManifest(zip, m => m["model"]!.AsObject().Remove("path")))]);
        Assert.Contains("is not a valid inversion manifest (it has no model.path)", noPath.Error);

        Assert.Equal(before + 1, (await factory.WithStoreAsync(s => s.ListInversionsAsync(owner))).Count);
    }
}
