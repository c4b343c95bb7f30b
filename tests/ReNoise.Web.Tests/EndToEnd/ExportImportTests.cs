using System.Diagnostics;
using System.IO.Compression;
using Microsoft.Playwright;
using ReNoise.TestSupport;

namespace ReNoise.Web.Tests.EndToEnd;

/// <summary>
/// An inversion leaves the studio as the CLI's folder in one zip, `renoise edit` works on it, and it
/// comes back in through the gallery's import; archives that are not inversions (or that would unpack
/// to far more than they weigh) are refused with a message.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class ExportImportTests(StudioApp app)
{
    [Fact]
    public async Task An_export_is_edited_by_the_command_line_and_imported_back_into_the_gallery()
    {
        var watch = app.Watch();
        var page = await (await app.ContextAsync(Viewports.Desktop)).NewPageAsync();
        await page.GotoInteractiveAsync(await app.InversionAsync(Viewports.Desktop));
        string work = Path.Combine(Path.GetTempPath(), $"renoise-e2e-export-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var download = await page.RunAndWaitForDownloadAsync(() => page.ByTestId("export-zip").ClickAsync());
            Assert.EndsWith(".zip", download.SuggestedFilename);
            string zip = Path.Combine(work, download.SuggestedFilename);
            await download.SaveAsAsync(zip);

            // The CLI's folder: manifest, latents, noise maps, images.
            string unzipped = Path.Combine(work, "unzipped");
            ZipFile.ExtractToDirectory(zip, unzipped);
            string folder = Directory.GetFiles(unzipped, "manifest.json", SearchOption.AllDirectories).Select(Path.GetDirectoryName).Single()!;
            foreach (string file in new[] { "latent.npy", "z0.npy", "input.png", "reconstruction.png" })
                Assert.True(File.Exists(Path.Combine(folder, file)), $"the export lacks {file}");

            // `renoise edit --inversion DIR` on it.
            string output = Path.Combine(work, "edited");
            var (code, log) = await RunCliAsync("edit", "--inversion", folder, "--prompt", "a painting of an astronaut", "--out", output,
                "--model", Path.Combine(TestPaths.RepoRoot, "models", "demo-sd-turbo"), "--execution-provider", "cpu");
            Assert.True(code == 0, $"renoise edit exited with {code}:\n{log}");
            Assert.NotEmpty(Directory.GetFiles(output, "*.png"));

            // Imported back: the studio opens it as a result of its own, and the gallery has one card more.
            string exported = page.Url;
            await page.GotoInteractiveAsync("/gallery");
            var cards = page.ByTestId("gallery-card").Filter(new() { HasText = StudioApp.SharedPrompt });
            await Assertions.Expect(cards.First).ToBeVisibleAsync();
            int before = await cards.CountAsync();
            await page.Locator("#import-input").SetInputFilesAsync(zip);
            await page.WaitForURLAsync(url => url.Contains("/inversions/") && url != exported, new() { Timeout = 60_000 });
            await Assertions.Expect(page.ByTestId("result-reconstruction")).ToBeVisibleAsync();
            await Assertions.Expect(page.ByTestId("inversion-prompt")).ToContainTextAsync(StudioApp.SharedPrompt);
            await page.GotoInteractiveAsync("/gallery");
            await Assertions.Expect(cards).ToHaveCountAsync(before + 1);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        await page.CloseAsync();
        await watch.AssertCleanAsync();
    }

    [Theory]
    [MemberData(nameof(Viewports.Both), MemberType = typeof(Viewports))]
    public async Task Archives_that_are_not_inversions_or_unpack_too_large_are_refused_with_a_message(string viewport)
    {
        var watch = app.Watch();
        var page = await (await app.ContextAsync(viewport)).NewPageAsync();
        await page.GotoInteractiveAsync("/gallery");
        await Assertions.Expect(page.Locator("#import-input")).ToBeEnabledAsync();
        string work = Path.Combine(Path.GetTempPath(), $"renoise-e2e-import-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            string garbage = Path.Combine(work, "notes.zip");
            await File.WriteAllTextAsync(garbage, "this is not a zip archive");
            await page.Locator("#import-input").SetInputFilesAsync(garbage);
            await Assertions.Expect(page.ByTestId("import-error")).ToContainTextAsync("not a zip archive");

            // A zip bomb: 130 MB of zeros in a few hundred kilobytes.
            string bomb = Path.Combine(work, "bomb.zip");
            using (var archive = ZipFile.Open(bomb, ZipArchiveMode.Create))
            {
                using (var manifest = new StreamWriter(archive.CreateEntry("manifest.json").Open())) await manifest.WriteAsync("{}");
                await using var latent = archive.CreateEntry("latent.npy", CompressionLevel.Fastest).Open();
                var zeros = new byte[1 << 20];
                for (int i = 0; i < 130; i++) await latent.WriteAsync(zeros);
            }
            Assert.True(new FileInfo(bomb).Length < 2_000_000);
            await page.Locator("#import-input").SetInputFilesAsync(bomb);
            await Assertions.Expect(page.ByTestId("import-error")).ToContainTextAsync("unpacks to more than");
            await PageAudit.AssertAsync(page, "the gallery refusing an import");
            await app.ShotAsync(page, "gallery-import-refused", viewport);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        await page.CloseAsync();
        await watch.AssertCleanAsync();
    }

    /// <summary>Runs the built `renoise` command line (building it first when it is not there).</summary>
    private static async Task<(int Code, string Log)> RunCliAsync(params string[] arguments)
    {
        string project = Path.Combine(TestPaths.RepoRoot, "src", "ReNoise.Cli");
        string? dll = new[] { "Debug", "Release" }
            .Select(c => Path.Combine(project, "bin", c, "net10.0", "renoise.dll"))
            .Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        if (dll is null)
        {
            var (built, log) = await RunAsync("dotnet", ["build", project, "-c", "Debug", "--nologo", "-v", "q"]);
            Assert.True(built == 0, "could not build the command line:\n" + log);
            dll = Path.Combine(project, "bin", "Debug", "net10.0", "renoise.dll");
        }
        return await RunAsync("dotnet", [dll, .. arguments]);
    }

    private static async Task<(int Code, string Log)> RunAsync(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.RepoRoot };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
