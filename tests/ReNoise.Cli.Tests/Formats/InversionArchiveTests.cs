using System.IO.Compression;
using ReNoise.Engine;
using ReNoise.Formats;
using ReNoise.TestSupport;

namespace ReNoise.Cli.Tests.Formats;

/// <summary>The inversion folder as one zip: what round-trips, what an untrusted archive may not do.</summary>
public sealed class InversionArchiveTests : IClassFixture<InversionFolderTests.Inverted>, IDisposable
{
    private readonly InversionFolderTests.Inverted _inverted;
    private readonly TempDirectory _temp = new();

    public InversionArchiveTests(InversionFolderTests.Inverted inverted) => _inverted = inverted;

    public void Dispose() => _temp.Dispose();

    private MemoryStream Zip(Action<ZipArchive> fill)
    {
        var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true)) fill(zip);
        stream.Position = 0;
        return stream;
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        using var entry = zip.CreateEntry(name).Open();
        entry.Write(bytes);
    }

    private byte[] FolderFile(string name) => File.ReadAllBytes(Path.Combine(_inverted.Folder, name));

    [Fact]
    public void A_zipped_folder_reads_back_as_the_same_inversion()
    {
        var zip = new MemoryStream();
        InversionArchive.WriteFolder(_inverted.Folder, zip);
        zip.Position = 0;

        var archived = InversionArchive.Read(zip, "inv.zip");
        var folder = InversionFolder.Read(_inverted.Folder).Inversion;
        Assert.Equal(folder.Latent, archived.Inversion.Latent);
        Assert.Equal(folder.NoiseMaps.Data, archived.Inversion.NoiseMaps.Data);
        Assert.Equal(folder.Parameters, archived.Inversion.Parameters);
        Assert.Equal(folder.Timesteps, archived.Inversion.Timesteps);
        Assert.Equal(FolderFile(InversionFolder.InputFile), archived.File(InversionFolder.InputFile));
    }

    [Fact]
    public void The_cli_edits_and_reconstructs_from_a_zip()
    {
        string zipPath = _temp.File("inv.zip");
        using (var file = File.Create(zipPath)) InversionArchive.WriteFolder(_inverted.Folder, file);

        var edit = CliRunner.Run("edit", "--inversion", zipPath, "--prompt", "a cup of tea", "--out", _temp.File("edit"));
        Assert.True(edit.ExitCode == 0, edit.Stderr);
        var fromFolder = CliRunner.Run("edit", "--inversion", _inverted.Folder, "--prompt", "a cup of tea", "--out", _temp.File("edit-folder"));
        Assert.True(fromFolder.ExitCode == 0, fromFolder.Stderr);
        Assert.Equal(File.ReadAllBytes(_temp.File("edit-folder/edited.png")), File.ReadAllBytes(_temp.File("edit/edited.png")));

        var reconstruct = CliRunner.Run("reconstruct", "--inversion", zipPath, "--out", _temp.File("recon"));
        Assert.True(reconstruct.ExitCode == 0, reconstruct.Stderr);
        Assert.Contains("psnr", reconstruct.Stdout);
    }

    [Fact]
    public void Model_names_the_model_folder_when_the_manifests_path_is_elsewhere()
    {
        string copy = _temp.File("moved");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(_inverted.Folder)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        string manifest = Path.Combine(copy, "manifest.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace(CliRunner.Model("tiny-sd-turbo"), "/srv/models/gone"));

        var without = CliRunner.Run("edit", "--inversion", copy, "--prompt", "a cup of tea", "--out", _temp.File("e1"));
        Assert.Equal(CliApp.BadInput, without.ExitCode);
        Assert.Contains("/srv/models/gone", without.Stderr);
        var with = CliRunner.Run("edit", "--inversion", copy, "--prompt", "a cup of tea", "--out", _temp.File("e2"), "--model", CliRunner.Model("tiny-sd-turbo"));
        Assert.True(with.ExitCode == 0, with.Stderr);
    }

    [Fact]
    public void Files_at_the_top_level_are_read_too()
    {
        using var zip = Zip(z =>
        {
            foreach (var name in new[] { "manifest.json", "latent.npy", "noise.npy" }) Add(z, name, FolderFile(name));
            Add(z, "__MACOSX/._manifest.json", [1, 2, 3]); // ignored: not a file of an inversion folder
        });
        Assert.Equal(4, InversionArchive.Read(zip, "flat.zip").Inversion.NoiseMaps.Count);
    }

    [Fact]
    public void A_file_that_unpacks_past_the_limit_is_refused_without_being_unpacked()
    {
        // 64 MB of zeros deflate to ~64 KB: a small archive claiming a huge file.
        using var zip = Zip(z =>
        {
            Add(z, "inv/manifest.json", FolderFile("manifest.json"));
            using var entry = z.CreateEntry("inv/latent.npy", CompressionLevel.Optimal).Open();
            var zeros = new byte[1024 * 1024];
            for (int i = 0; i < 64; i++) entry.Write(zeros);
        });
        Assert.True(zip.Length < 1024 * 1024);
        var e = Assert.Throws<ReNoiseInputException>(() =>
            InversionArchive.Read(zip, "bomb.zip", new ArchiveLimits { MaxEntryBytes = 8 * 1024 * 1024, MaxTotalBytes = 16 * 1024 * 1024 }));
        Assert.Equal("bomb.zip:latent.npy unpacks to more than the 8 MB a file may have (16 MB in all); the archive is refused", e.Message);
    }

    [Theory]
    [InlineData("../inv/manifest.json")]
    [InlineData("a/b/manifest.json")]
    public void A_folder_deeper_than_one_level_or_outside_the_archive_is_refused(string manifestName)
    {
        using var zip = Zip(z => Add(z, manifestName, FolderFile("manifest.json")));
        var e = Assert.Throws<ReNoiseInputException>(() => InversionArchive.Read(zip, "deep.zip"));
        Assert.Contains("must be at the top level or one folder deep", e.Message);
    }

    [Fact]
    public void Two_inversion_folders_in_one_archive_are_refused()
    {
        using var zip = Zip(z =>
        {
            Add(z, "a/manifest.json", FolderFile("manifest.json"));
            Add(z, "b/manifest.json", FolderFile("manifest.json"));
        });
        Assert.Contains("more than one inversion folder", Assert.Throws<ReNoiseInputException>(() => InversionArchive.Read(zip, "two.zip")).Message);
    }

    [Fact]
    public void Bytes_that_are_not_a_zip_and_arrays_of_the_wrong_shape_are_refused()
    {
        var text = new MemoryStream("not a zip at all"u8.ToArray());
        Assert.StartsWith("notes.zip is not a zip archive", Assert.Throws<ReNoiseInputException>(() => InversionArchive.Read(text, "notes.zip")).Message);

        using var zip = Zip(z =>
        {
            Add(z, "inv/manifest.json", FolderFile("manifest.json"));
            Add(z, "inv/latent.npy", new Engine.IO.NpyArray(new float[8], [1, 2, 2, 2]).ToBytes());
        });
        var e = Assert.Throws<ReNoiseInputException>(() => InversionArchive.Read(zip, "bad.zip"));
        Assert.Equal("bad.zip:latent.npy has shape [1,2,2,2], expected [1,4,16,16]", e.Message);
    }
}
