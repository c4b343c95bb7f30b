using ReNoise.Cli.Bench;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.TestSupport;

namespace ReNoise.Cli.Tests;

public sealed class BenchPlotTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_plot_is_a_png_of_psnr_against_nfe_per_series()
    {
        using var model = DiffusionModel.Load(CliRunner.Model("tiny-sd-turbo"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });
        var image = new BenchImage("coffee.png", Path.Combine(TestPaths.RepoRoot, "bench", "data", "coffee.png"), "a photo of a cup of coffee");
        // Regularization weights far beyond any prediction scale: that inversion blows up.
        var diverging = new BenchConfiguration("overweight", "AC weight at its limit", ["test"], b => b with { LambdaAc = InversionParameters.MaxLambdaAc });
        var configurations = BenchConfigurations.Select("plain,renoise-1", stochastic: true).Append(diverging).ToList();
        var report = new BenchRunner(new InversionPipeline(model)).Run([image], configurations, new BenchSettings { BaseParameters = InversionParameters.Default with { Width = 64, Height = 64 } }, _ => { });

        BenchPlot.Write(_temp.File(BenchPlot.PlotFile), report);
        var png = RgbImage.Read(_temp.File(BenchPlot.PlotFile));
        Assert.Equal((BenchPlot.Width, BenchPlot.Height), (png.Width, png.Height));
        var series = BenchPlot.Series(report);
        // The diverged configuration is left out; plain belongs to both the ablation and the baseline series.
        var ablation = series.Single(s => s.Series == BenchConfigurations.AblationSeries).Points;
        Assert.Equal(["plain", "renoise-1"], ablation.Select(p => p.Name));
        Assert.Equal([4.0, 8.0], ablation.Select(p => p.Nfe));
        Assert.DoesNotContain(series, s => s.Series == "test");
        Assert.Contains(series, s => s.Series == BenchConfigurations.PlainSeries);
    }
}
