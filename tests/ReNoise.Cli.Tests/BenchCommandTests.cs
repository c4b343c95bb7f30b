using ReNoise.Cli.Tests.Bench;
using System.Globalization;
using System.Text.Json;
using ReNoise.Cli.Bench;
using ReNoise.Engine.Imaging;
using ReNoise.TestSupport;

namespace ReNoise.Cli.Tests;

public sealed class BenchCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A one-image bench folder with its captions file.</summary>
    private string ImageFolder()
    {
        string folder = _temp.File("images");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(TestPaths.RepoRoot, "bench", "data", "chelsea.png"), Path.Combine(folder, "chelsea.png"));
        File.WriteAllText(Path.Combine(folder, "captions.json"), """{ "chelsea.png": "a photo of a tabby cat" }""");
        return folder;
    }

    [Fact]
    public void A_small_bench_writes_the_csv_table_and_plot_with_their_columns()
    {
        string lpips = Path.Combine(TestPaths.Fixtures, "lpips", "msd_standin.onnx");
        var result = CliRunner.Run("bench", "--model", CliRunner.Model("tiny-sd-turbo"), "--images", ImageFolder(), "--out", _temp.File("bench"),
            "--configs", "plain,renoise-1", "--width", "64", "--height", "64", "--lpips", lpips);
        Assert.True(result.ExitCode == 0, result.Stderr);

        string dir = _temp.File("bench");
        Assert.Equal(["images.csv", "psnr_vs_nfe.png", "results.csv", "results.md"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());

        var table = CsvTable.Read(Path.Combine(dir, "results.csv"));
        Assert.Equal(BenchCsv.ResultColumns, table.Header);
        var rows = table.Rows;
        Assert.Equal(2, rows.Count);
        string Field(int row, string column) => rows[row][table.Column(column)];
        Assert.Equal(["plain", "renoise-1"], rows.Select(r => r[1]));
        Assert.Equal(["chelsea.png", "chelsea.png"], rows.Select(r => r[0]));
        Assert.Equal(["4", "8"], [Field(0, "nfe"), Field(1, "nfe")]);
        for (int r = 0; r < 2; r++)
        {
            Assert.Equal("ok", Field(r, "status"));
            foreach (var column in new[] { "psnr", "ssim", "mse", "psnr_vae", "ssim_vae", "mse_vae", "lpips", "lpips_vae", "wall_ms", "ort_ms", "engine_ms" })
                Assert.True(double.TryParse(Field(r, column), NumberStyles.Float, CultureInfo.InvariantCulture, out _), $"{column} = '{Field(r, column)}'");
        }

        string md = File.ReadAllText(Path.Combine(dir, "results.md"));
        Assert.Contains("`plain`", md);
        Assert.Contains("+ 1 ReNoise step", md);
        var png = RgbImage.Read(Path.Combine(dir, "psnr_vs_nfe.png"));
        Assert.Equal(BenchPlot.Width, png.Width);

        Assert.Contains("plain", result.Stdout);
        Assert.Contains("renoise-1", result.Stdout);
        Assert.Contains("nfe   8.0", result.Stdout);
        Assert.Equal("", result.Stderr.Replace("\r", "").Trim()); // no progress bar when stderr is not a terminal
    }

    [Theory]
    [InlineData(new string[0], "50", "DDIM inversion (R = 0)")]             // preset auto: SD, DDIM at 50 steps
    [InlineData(new[] { "--steps", "4" }, "4", "DDIM inversion (R = 0)")]   // explicit options over the preset
    [InlineData(new[] { "--preset", "none" }, "4", "DDIM inversion (R = 0)")]
    public void The_base_options_come_from_the_models_preset_with_explicit_options_on_top(string[] extra, string nfe, string label)
    {
        var result = CliRunner.Run(["bench", "--model", CliRunner.Model("tiny-sd15-ddim"), "--images", ImageFolder(), "--out", _temp.File("bench"),
            "--configs", "plain", "--width", "64", "--height", "64", "--execution-provider", "cpu", .. extra]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var table = CsvTable.Read(Path.Combine(_temp.File("bench"), "results.csv"));
        var row = Assert.Single(table.Rows);
        Assert.Equal(nfe, row[table.Column("nfe")]);
        Assert.Equal(label, row[table.Column("label")]);
        Assert.Equal("ddim", row[table.Column("scheduler")]);
    }

    [Fact]
    public void An_unknown_configuration_is_bad_input_and_leaves_no_output()
    {
        var result = CliRunner.Run("bench", "--model", CliRunner.Model("tiny-sd-turbo"), "--images", ImageFolder(), "--out", _temp.File("bench"),
            "--configs", "plain,warp-speed");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --configs: unknown configuration 'warp-speed'", result.Stderr);
        Assert.False(Directory.Exists(_temp.File("bench")));
    }

    [Fact]
    public void A_missing_images_folder_is_bad_input()
    {
        var result = CliRunner.Run("bench", "--model", CliRunner.Model("tiny-sd-turbo"), "--images", _temp.File("none"), "--out", _temp.File("bench"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--images", result.Stderr);
    }

    [Fact]
    public void The_progress_line_shows_the_overall_fraction_and_where_the_bench_is()
    {
        string line = ProgressBar.Render(new BenchProgress(2, 4, "coffee.png", "renoise-9", 18, 36), TimeSpan.FromSeconds(12));
        // Run 2 of 4, half of its model calls done: 1.5 of 4 runs = 38 %.
        Assert.StartsWith("[" + new string('#', 11) + new string('.', 19) + "]  38%", line);
        Assert.Contains("run 2/4  coffee.png  renoise-9  nfe 18/36  12 s", line);
    }

    private JsonElement InvertManifest(params string[] extra)
    {
        var result = CliRunner.Run(["invert", "--model", CliRunner.Model("tiny-sd-turbo"), "--image", CliRunner.Image("astronaut.png"),
            "--prompt", "a photo of an astronaut", "--out", _temp.File("inv"), .. extra]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(_temp.File("inv"), "manifest.json"))).RootElement;
    }

    [Fact]
    public void Invert_with_a_tolerance_records_it_and_the_model_calls_it_saved()
    {
        var m = InvertManifest("--renoise-tolerance", "0.1", "--renoise-accel", "anderson");
        int nfe = m.GetProperty("nfe").GetInt32(), saved = m.GetProperty("nfeSaved").GetInt32();
        Assert.True(saved > 0, "nothing saved");
        Assert.Equal(40, nfe + saved);
        int iterations = m.GetProperty("residuals").EnumerateArray().Sum(r => r.GetProperty("values").GetArrayLength());
        Assert.Equal(5 + 3 * 9 - saved, iterations);
        var p = m.GetProperty("parameters");
        Assert.Equal(0.1, p.GetProperty("renoiseTolerance").GetDouble());
        Assert.Equal("anderson", p.GetProperty("renoiseAccel").GetString());
    }

    [Fact]
    public void Invert_without_the_new_options_records_the_fixed_loop()
    {
        var m = InvertManifest();
        Assert.Equal(0, m.GetProperty("nfeSaved").GetInt32());
        Assert.Equal("none", m.GetProperty("parameters").GetProperty("renoiseAccel").GetString());
        Assert.Equal(0.0, m.GetProperty("parameters").GetProperty("renoiseTolerance").GetDouble());
    }

    [Theory]
    [InlineData("--renoise-accel", "broyden", "--renoise-accel must be none or anderson")]
    [InlineData("--renoise-tolerance", "-1", "--renoise-tolerance must be")]
    public void Bad_renoise_options_are_bad_input(string option, string value, string message)
    {
        var result = CliRunner.Run("invert", "--model", CliRunner.Model("tiny-sd-turbo"), "--image", CliRunner.Image("astronaut.png"),
            "--prompt", "a photo", "--out", _temp.File("inv"), option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {message}", result.Stderr);
        Assert.False(Directory.Exists(_temp.File("inv")));
    }
}
