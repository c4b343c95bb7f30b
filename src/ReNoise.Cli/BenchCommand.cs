using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ReNoise.Cli.Bench;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;

namespace ReNoise.Cli;

/// <summary>`renoise bench`: every configuration on every image, one model load; CSV, markdown table and plot.</summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = CliApp.Required<string>("--model", "model folder (diffusers/Optimum ONNX layout)");
        var images = CliApp.Required<string>("--images", "folder of images (PNG, JPEG, WebP, BMP, GIF)");
        var outDir = CliApp.Required<string>("--out", "output folder for results.csv, results.md, images.csv, psnr_vs_nfe.png");
        var configs = CliApp.Optional<string>("--configs",
            "comma list of configuration or group names (ablation, baselines, adaptive, anderson, all); default: ablation");
        var promptFile = CliApp.Optional<string>("--prompt-file", "JSON object of image file name -> caption (default: captions.json in --images)");
        var prompt = CliApp.Optional<string>("--prompt", "one prompt for every image (overrides captions)");
        var lpips = CliApp.Optional<string>("--lpips", "LPIPS ONNX model (two [1,3,H,W] inputs in [-1,1], one distance output)");
        var preset = CliApp.Optional<string>("--preset", $"{string.Join(" | ", ModelPreset.Names)}: the paper's settings the rows start from (default auto: from the model folder)");
        var parameters = new InversionOptions();
        var providers = new ProviderOptions();

        var command = new Command("bench", "Measure reconstruction quality against model calls for the paper's ablation and the accelerated variants.");
        foreach (var o in new Option[] { model, images, outDir, configs, promptFile, prompt, lpips, preset }) command.Options.Add(o);
        parameters.AddTo(command, all: false);
        providers.AddTo(command);

        command.SetAction(p =>
        {
            var clock = Stopwatch.StartNew();
            var benchImages = BenchImages.Discover(p.GetValue(images)!, p.GetValue(promptFile), p.GetValue(prompt));
            string outPath = p.GetValue(outDir)!;
            var loadOptions = providers.LoadOptions(p);

            // One model load for the whole bench; opening the folder creates no session yet.
            using var diffusionModel = DiffusionModel.Load(p.GetValue(model)!, loadOptions);
            ModelPreset chosen = ModelPreset.Resolve(p.GetValue(preset), diffusionModel.Layout);
            var baseParameters = parameters.Apply(p, chosen.ParametersFor(diffusionModel.Layout));
            var pipeline = new InversionPipeline(diffusionModel);
            // The plan checks the base before anything is loaded; the rows depend on the sampler kind.
            bool stochastic = pipeline.Plan(new InversionRequest { Prompt = benchImages[0].Prompt, Parameters = baseParameters }).IsStochastic;
            var configurations = BenchConfigurations.Select(p.GetValue(configs), stochastic);
            using var lpipsModel = p.GetValue(lpips) is { } lpipsPath ? LpipsModel.Open(lpipsPath, loadOptions) : null;
            var settings = new BenchSettings { BaseParameters = baseParameters, Preset = chosen.Name };

            using var staged = new StagedFolder(outPath);
            var bar = new ProgressBar(stderr, ProgressBar.IsTerminal(stderr));
            var report = new BenchRunner(pipeline, lpipsModel).Run(benchImages, configurations, settings, bar.Report);
            bar.Finish();

            BenchCsv.WriteResults(Path.Combine(staged.WorkingPath, BenchCsv.ResultsFile), report);
            BenchCsv.WriteImages(Path.Combine(staged.WorkingPath, BenchCsv.ImagesFile), report);
            BenchMarkdown.Write(Path.Combine(staged.WorkingPath, BenchMarkdown.ResultsFile), report);
            BenchPlot.Write(Path.Combine(staged.WorkingPath, BenchPlot.PlotFile), report);
            staged.Commit();

            CliApp.PrintWarnings(stdout, diffusionModel.Warnings);
            stdout.WriteLine($"bench: {benchImages.Count} image(s) x {configurations.Count} configuration(s) with {report.Scheduler} on {diffusionModel.ExecutionProvider} into {outPath}");
            foreach (var s in report.Summaries())
            {
                string quality = s.Failed == s.Runs ? "diverged" : $"psnr {s.Psnr:F2} dB  ssim {s.Ssim:F4}";
                string failed = s.Failed > 0 && s.Failed < s.Runs ? $"  ({s.Failed}/{s.Runs} diverged)" : "";
                stdout.WriteLine($"  {s.Configuration.Name,-26} nfe {s.Nfe,5:F1}  {quality}{failed}");
            }
            stdout.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s (ONNX Runtime {diffusionModel.OrtTime.TotalSeconds:F1} s)");
            return 0;
        });
        return command;
    }
}

/// <summary>
/// A one-line progress bar on the terminal (stderr), redrawn in place at most every 100 ms;
/// silent when stderr is redirected (logs and tests get no control characters).
/// </summary>
internal sealed class ProgressBar(TextWriter writer, bool enabled)
{
    private const int BarWidth = 30;
    private readonly Stopwatch _since = Stopwatch.StartNew();
    private long _lastDraw = long.MinValue;
    private int _lastLength;

    public static bool IsTerminal(TextWriter writer) => ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;

    public void Report(BenchProgress progress)
    {
        if (!enabled) return;
        long now = _since.ElapsedMilliseconds;
        if (now - _lastDraw < 100 && progress.Nfe != 0) return;
        _lastDraw = now;
        string line = Render(progress, _since.Elapsed);
        writer.Write("\r" + line.PadRight(_lastLength));
        _lastLength = line.Length;
        writer.Flush();
    }

    public void Finish()
    {
        if (!enabled || _lastLength == 0) return;
        writer.Write("\r" + new string(' ', _lastLength) + "\r");
        writer.Flush();
    }

    /// <summary>The bar's text: overall fraction (runs done plus the current run's share of its NFE), then where it is.</summary>
    public static string Render(BenchProgress p, TimeSpan elapsed)
    {
        double within = p.NominalNfe > 0 ? Math.Min(1.0, p.Nfe / (double)p.NominalNfe) : 0;
        double fraction = p.Runs > 0 ? Math.Clamp((p.Run - 1 + within) / p.Runs, 0, 1) : 0;
        int filled = (int)Math.Round(fraction * BarWidth);
        string bar = new string('#', filled) + new string('.', BarWidth - filled);
        return string.Create(CultureInfo.InvariantCulture,
            $"[{bar}] {fraction * 100,3:F0}%  run {p.Run}/{p.Runs}  {p.Image}  {p.Configuration}  nfe {p.Nfe}/{p.NominalNfe}  {elapsed.TotalSeconds:F0} s");
    }
}
