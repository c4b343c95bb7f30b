using ReNoise.Cli.Bench;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.TestSupport;

namespace ReNoise.Cli.Tests.Bench;

/// <summary>A small bench (one image, two configurations and a diverging one) on the tiny-sd-turbo fixture.</summary>
public sealed class BenchRunnerTests : IClassFixture<BenchRunnerTests.SmallBench>
{
    private const string Prompt = "a photo of a cup of coffee";

    public sealed class SmallBench : IDisposable
    {
        public SmallBench()
        {
            Model = DiffusionModel.Load(Path.Combine(TestPaths.FixtureModels, "tiny-sd-turbo"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });
            Lpips = LpipsModel.Open(Path.Combine(TestPaths.Fixtures, "lpips", "msd_standin.onnx"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });
            Pipeline = new InversionPipeline(Model);
            var configurations = BenchConfigurations.Select("plain,renoise-1", stochastic: true).Append(Diverging).ToList();
            Report = new BenchRunner(Pipeline, Lpips).Run([Image], configurations, new BenchSettings { BaseParameters = InversionParameters.Default with { Width = 64, Height = 64 } }, Progress.Add);
            Temp = new TempDirectory();
            BenchCsv.WriteResults(Temp.File(BenchCsv.ResultsFile), Report);
            BenchCsv.WriteImages(Temp.File(BenchCsv.ImagesFile), Report);
            BenchMarkdown.Write(Temp.File(BenchMarkdown.ResultsFile), Report);
        }

        public static BenchImage Image { get; } = new("coffee.png", Path.Combine(TestPaths.RepoRoot, "bench", "data", "coffee.png"), Prompt);

        /// <summary>Regularization weights far beyond any prediction scale: the inversion blows up.</summary>
        public static BenchConfiguration Diverging { get; } =
            new("overweight", "AC weight at its limit", ["test"], b => b with { LambdaAc = InversionParameters.MaxLambdaAc });

        public DiffusionModel Model { get; }
        public LpipsModel Lpips { get; }
        public InversionPipeline Pipeline { get; }
        public BenchReport Report { get; }
        public List<BenchProgress> Progress { get; } = [];
        internal TempDirectory Temp { get; }

        public void Dispose()
        {
            Temp.Dispose();
            Lpips.Dispose();
            Model.Dispose();
        }
    }

    private readonly SmallBench _bench;

    public BenchRunnerTests(SmallBench bench) => _bench = bench;

    private BenchRow Row(string configuration) => _bench.Report.Rows.Single(r => r.Configuration == configuration);

    private RgbImage Input() => ImageLoader.Load(SmallBench.Image.Path, 64, 64);

    [Fact]
    public void One_row_per_image_and_configuration_with_the_inversions_model_calls()
    {
        Assert.Equal(["plain", "renoise-1", "overweight"], _bench.Report.Rows.Select(r => r.Configuration));
        Assert.All(_bench.Report.Rows, r => Assert.Equal("coffee.png", r.Image));
        var plain = Row("plain");
        var renoise = Row("renoise-1");
        Assert.Equal((4, 4, 0), (plain.Nfe, plain.NominalNfe, plain.NfeSaved));
        Assert.Equal((8, 8), (renoise.Nfe, renoise.NominalNfe));
        Assert.Equal("euler-ancestral", plain.Scheduler);
        Assert.Equal("+ 1 ReNoise step", renoise.Label);
    }

    [Fact]
    public void Metrics_are_those_of_the_decoded_reconstruction_against_the_input_and_its_vae_round_trip()
    {
        var input = Input();
        var parameters = BenchConfigurations.All(true).Single(c => c.Name == "renoise-1")
            .ParametersFrom(InversionParameters.Default with { Width = 64, Height = 64 });
        var again = _bench.Pipeline.Invert(new InversionRequest { Prompt = Prompt, Parameters = parameters }, input);
        var vae = _bench.Pipeline.RoundTrip(input);

        var row = Row("renoise-1");
        Assert.Equal(ImageMetrics.Psnr(input, again.Reconstruction), row.Psnr);
        Assert.Equal(ImageMetrics.Ssim(input, again.Reconstruction), row.Ssim);
        Assert.Equal(ImageMetrics.MeanSquaredError(input, again.Reconstruction), row.Mse);
        Assert.Equal(ImageMetrics.Psnr(vae, again.Reconstruction), row.PsnrVae);
        Assert.Equal(ImageMetrics.Ssim(vae, again.Reconstruction), row.SsimVae);

        var reference = Assert.Single(_bench.Report.Images);
        Assert.Equal(ImageMetrics.Psnr(input, vae), reference.VaePsnr);
        Assert.Equal(ImageMetrics.Ssim(input, vae), reference.VaeSsim);
        Assert.True(row.Psnr < reference.VaePsnr, "a reconstruction cannot beat the VAE round trip on this fixture");
    }

    [Fact]
    public void Lpips_comes_from_the_supplied_model()
    {
        // The stand-in computes the mean squared difference of the [-1, 1] tensors: the byte MSE / 127.5^2.
        var row = Row("plain");
        Assert.Equal(row.Mse / (127.5 * 127.5), row.Lpips, 1e-6);
        Assert.Equal(row.MseVae / (127.5 * 127.5), row.LpipsVae, 1e-6);
        Assert.Equal(_bench.Report.Images[0].VaeMse / (127.5 * 127.5), _bench.Report.Images[0].VaeLpips, 1e-6);
    }

    [Fact]
    public void Times_split_into_onnx_runtime_and_engine()
    {
        foreach (var row in _bench.Report.Rows.Where(r => r.Ok))
        {
            Assert.True(row.OrtMs > 0 && row.OrtMs <= row.WallMs, $"ort {row.OrtMs} wall {row.WallMs}");
            Assert.Equal(row.WallMs - row.OrtMs, row.EngineMs, 1e-9);
            Assert.True(row.InversionMs > 0 && row.InversionMs <= row.WallMs);
        }
    }

    [Fact]
    public void A_diverging_configuration_is_a_row_with_its_error_and_the_bench_goes_on()
    {
        var row = Row("overweight");
        Assert.Equal(BenchRunner.StatusDiverged, row.Status);
        Assert.Contains("diverged", row.Error);
        Assert.True(double.IsNaN(row.Psnr));
        var summary = _bench.Report.Summaries().Single(s => s.Configuration.Name == "overweight");
        Assert.Equal((1, 1), (summary.Runs, summary.Failed));
        Assert.Equal(row.Error, summary.FirstError);
    }

    [Fact]
    public void Progress_covers_every_run_and_every_model_call()
    {
        var progress = _bench.Progress;
        Assert.Equal([1, 2, 3], progress.Select(p => p.Run).Distinct());
        Assert.All(progress, p => Assert.Equal(3, p.Runs));
        Assert.Equal(4, progress.Where(p => p.Run == 1).Max(p => p.Nfe));
        Assert.Equal(8, progress.Where(p => p.Run == 2).Max(p => p.Nfe));
        Assert.Equal(0, progress.First(p => p.Run == 2).Nfe);
    }

    [Fact]
    public void Results_csv_has_the_documented_columns_and_a_row_per_run()
    {
        var table = CsvTable.Read(_bench.Temp.File(BenchCsv.ResultsFile));
        Assert.Equal(BenchCsv.ResultColumns, table.Header);
        var rows = table.Rows;
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(BenchCsv.ResultColumns.Length, r.Length));
        int Col(string name) => table.Column(name);

        var plain = rows[0];
        Assert.Equal("plain", plain[Col("config")]);
        Assert.Equal("ok", plain[Col("status")]);
        Assert.Equal("4", plain[Col("nfe")]);
        Assert.Equal(Row("plain").Psnr, double.Parse(plain[Col("psnr")], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Row("plain").Lpips, double.Parse(plain[Col("lpips")], System.Globalization.CultureInfo.InvariantCulture));

        var diverged = rows[2];
        Assert.Equal("diverged", diverged[Col("status")]);
        Assert.Contains("timestep", diverged[Col("error")]);
        Assert.Equal("", diverged[Col("psnr")]);
        Assert.Equal("", diverged[Col("nfe")]);

        var images = CsvTable.Read(_bench.Temp.File(BenchCsv.ImagesFile));
        Assert.Equal(BenchCsv.ImageColumns, images.Header);
        Assert.Equal(["coffee.png", Prompt], Assert.Single(images.Rows).Take(2));
    }

    [Fact]
    public void Results_md_tabulates_means_under_the_papers_row_names()
    {
        string md = File.ReadAllText(_bench.Temp.File(BenchMarkdown.ResultsFile));
        Assert.Contains("| Plain inversion (R = 0) | `plain` | 4.0 |", md);
        Assert.Contains("| + 1 ReNoise step | `renoise-1` | 8.0 |", md);
        Assert.Contains("| VAE round trip (ceiling) |", md);
        Assert.Contains("1/1 diverged", md);
        Assert.Contains("LPIPS", md);
        Assert.Contains(Row("renoise-1").Psnr.ToString("F2", System.Globalization.CultureInfo.InvariantCulture), md);
    }
}
