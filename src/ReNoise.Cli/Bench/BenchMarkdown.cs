using System.Globalization;
using System.Text;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;

namespace ReNoise.Cli.Bench;

/// <summary>results.md: what ran, and a table of means per configuration with the paper's row names.</summary>
public static class BenchMarkdown
{
    public const string ResultsFile = "results.md";

    public static string Render(BenchReport report)
    {
        var o = report.BaseParameters;
        var md = new StringBuilder();
        md.AppendLine("# ReNoise bench");
        md.AppendLine();
        md.AppendLine($"- model: `{report.ModelPath}` ({report.Family}, {report.ExecutionProvider})");
        md.AppendLine($"- scheduler: {report.Scheduler}{(report.Preset is null ? "" : $" (preset {report.Preset})")}, {o.InversionSteps} steps; base R = {o.RenoiseSteps} (cap {o.FirstStepRenoiseCap} below t = {InversionParameters.FirstStepMaxTimestep}), seed {o.Seed}");
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"- regularized rows: lambda_ac {o.LambdaAc}, lambda_kl {o.LambdaKl}, {o.RegularizationSteps} steps of {o.AcRolls} AC rolls; averaging windows {o.AverageFirstStep} (t < {InversionParameters.FirstStepMaxTimestep}) and {o.AverageOtherSteps}; Anderson depth {o.AndersonDepth}"));
        md.AppendLine($"- images: {report.Images.Count} at {report.Width}x{report.Height} ({string.Join(", ", report.Images.Select(i => i.Name))})");
        md.AppendLine($"- runs: {report.Rows.Count} in {report.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s");
        if (report.HasLpips) md.AppendLine($"- LPIPS model: `{report.LpipsModel}`");
        md.AppendLine();
        md.AppendLine("Means over the images. PSNR/SSIM compare the reconstruction with the input; \"vs VAE\" compares it with the");
        md.AppendLine("input's VAE round trip (encode + decode), which isolates what the inversion loses. NFE counts the inversion's");
        md.AppendLine("model calls (the reconstruction's are not counted). Times are per run: wall = engine + ONNX Runtime.");
        md.AppendLine();

        var header = new List<string> { "configuration", "name", "NFE", "NFE saved", "PSNR (dB)", "SSIM", "PSNR vs VAE (dB)", "SSIM vs VAE" };
        if (report.HasLpips) header.AddRange(["LPIPS", "LPIPS vs VAE"]);
        header.AddRange(["wall ms", "ORT ms", "engine ms", "failed"]);
        md.AppendLine("| " + string.Join(" | ", header) + " |");
        md.AppendLine("|" + string.Join("|", header.Select((_, i) => i < 2 ? "---" : "---:")) + "|");

        var vae = new List<string>
        {
            "VAE round trip (ceiling)", "-", "0", "", F(report.Images.Average(i => i.VaePsnr), 2), F(report.Images.Average(i => i.VaeSsim), 4), "", "",
        };
        if (report.HasLpips) vae.AddRange([F(report.Images.Average(i => i.VaeLpips), 4), ""]);
        vae.AddRange(["", "", "", ""]);
        md.AppendLine("| " + string.Join(" | ", vae) + " |");

        var notes = new List<string>();
        foreach (var s in report.Summaries())
        {
            var cells = new List<string>
            {
                s.Configuration.Label, $"`{s.Configuration.Name}`", F(s.Nfe, 1), s.NfeSaved > 0 ? F(s.NfeSaved, 1) : (double.IsNaN(s.NfeSaved) ? "" : "0"),
                F(s.Psnr, 2), F(s.Ssim, 4), F(s.PsnrVae, 2), F(s.SsimVae, 4),
            };
            if (report.HasLpips) cells.AddRange([F(s.Lpips, 4), F(s.LpipsVae, 4)]);
            cells.AddRange([F(s.WallMs, 1), F(s.OrtMs, 1), F(s.EngineMs, 1), s.Failed == 0 ? "" : $"{s.Failed}/{s.Runs} diverged"]);
            md.AppendLine("| " + string.Join(" | ", cells) + " |");
            if (s.Failed > 0) notes.Add($"`{s.Configuration.Name}`: {s.FirstError}");
        }
        if (notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Failed runs (first error of each configuration; the means above cover the runs that finished):");
            md.AppendLine();
            foreach (var note in notes) md.AppendLine($"- {note}");
        }
        return md.ToString();
    }

    public static void Write(string path, BenchReport report) => File.WriteAllText(path, Render(report));

    private static string F(double value, int decimals) =>
        double.IsNaN(value) ? "" : double.IsPositiveInfinity(value) ? "inf" : value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
