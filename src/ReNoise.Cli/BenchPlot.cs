using ReNoise.Cli.Bench;
using ScottPlot;

namespace ReNoise.Cli;

/// <summary>
/// psnr_vs_nfe.png: reconstruction PSNR (against the input, mean over images) against NFE, one
/// series per method, each a line through its configurations in NFE order. The ablation's points
/// carry their configuration names; the VAE round trip is drawn as the ceiling.
/// </summary>
public static class BenchPlot
{
    public const string PlotFile = "psnr_vs_nfe.png";
    public const int Width = 1000;
    public const int Height = 650;

    /// <summary>
    /// The series drawn: name and (NFE, PSNR, configuration) points. The ablation keeps table order
    /// (each row adds to the one before); the others are in NFE order. A configuration with a
    /// failed run is left out: a mean over the images that happened to survive is not comparable.
    /// </summary>
    public static IReadOnlyList<(string Series, IReadOnlyList<(double Nfe, double Psnr, string Name)> Points)> Series(BenchReport report)
    {
        var summaries = report.Summaries().Where(s => s.Failed == 0 && s.Runs > 0 && double.IsFinite(s.Psnr)).ToList();
        var names = summaries.SelectMany(s => s.Configuration.Series).Distinct().ToList();
        var result = new List<(string, IReadOnlyList<(double, double, string)>)>();
        foreach (var series in names)
        {
            var points = summaries.Where(s => s.Configuration.Series.Contains(series)).Select(s => (s.Nfe, s.Psnr, s.Configuration.Name));
            if (series != BenchConfigurations.AblationSeries) points = points.OrderBy(p => p.Nfe);
            result.Add((series, points.ToList()));
        }
        return result;
    }

    public static void Write(string path, BenchReport report)
    {
        var plot = new Plot();
        var series = Series(report);
        foreach (var (name, points) in series)
        {
            var scatter = plot.Add.Scatter(points.Select(p => p.Nfe).ToArray(), points.Select(p => p.Psnr).ToArray());
            scatter.LegendText = name;
            scatter.MarkerSize = 8;
            scatter.LineWidth = 2;
            if (name == BenchConfigurations.AblationSeries)
            {
                // Rows at (nearly) the same point get their labels stacked instead of overprinted.
                for (int i = 0; i < points.Count; i++)
                {
                    var p = points[i];
                    int below = points.Take(i).Count(q => Math.Abs(q.Nfe - p.Nfe) < 1 && Math.Abs(q.Psnr - p.Psnr) < 0.3);
                    var label = plot.Add.Text(p.Name, p.Nfe, p.Psnr);
                    label.LabelFontSize = 11;
                    label.LabelOffsetX = 6;
                    label.LabelOffsetY = -6 + 13 * below;
                }
            }
        }
        double ceiling = report.Images.Average(i => i.VaePsnr);
        if (double.IsFinite(ceiling))
        {
            var line = plot.Add.HorizontalLine(ceiling);
            line.LegendText = "VAE round trip (ceiling)";
            line.LinePattern = LinePattern.Dashed;
        }
        plot.Title($"Reconstruction quality per model call: {Path.GetFileName(report.ModelPath.TrimEnd('/', '\\'))}, {report.Scheduler}");
        plot.XLabel("NFE (model calls of the inversion)");
        plot.YLabel("PSNR vs input (dB, mean over images)");
        double maxNfe = series.SelectMany(s => s.Points).Select(p => p.Nfe).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsX(0, maxNfe * 1.15 + 1);
        plot.ShowLegend(Edge.Bottom);
        plot.SavePng(path, Width, Height);
    }
}
