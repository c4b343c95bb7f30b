using System.Globalization;
using Microsoft.AspNetCore.Components;
using ReNoise.Formats;

namespace ReNoise.Web.Components.Shared;

public partial class ResidualsChart
{
    private const int Width = 600, Height = 280, Left = 48, Right = 12, Top = 10, Bottom = 36;

    private static readonly string[] Palette = ["#5e35b1", "#00897b", "#e53935", "#fb8c00", "#1e88e5", "#6d4c41", "#d81b60", "#7cb342"];

    [Parameter, EditorRequired]
    public IReadOnlyList<StepResiduals> Residuals { get; set; } = [];

    private List<Line> _lines = [];
    private List<(double Y, string Label)> _yTicks = [];
    private List<(double X, string Label)> _xTicks = [];

    protected override void OnParametersSet()
    {
        var series = Residuals.Where(r => r.Values.Length > 0).ToList();
        if (series.Count == 0)
        {
            _lines = [];
            return;
        }
        int longest = series.Max(r => r.Values.Length);
        var logs = series.Select(r => r.Values.Select(v => Math.Log10(Math.Max(v, 1e-8))).ToArray()).ToList();
        // Whole decades around the data: one tick per decade.
        double low = Math.Floor(logs.Min(l => l.Min())), high = Math.Ceiling(logs.Max(l => l.Max()));
        if (high <= low) high = low + 1;
        double X(int k) => longest == 1 ? (Left + Width - Right) / 2.0 : Left + (Width - Left - Right) * k / (double)(longest - 1);
        double Y(double v) => Top + (Height - Top - Bottom) * (high - v) / (high - low);

        _lines = series.Select((r, i) =>
        {
            var points = logs[i].Select((v, k) => (X(k), Y(v))).ToList();
            return new Line($"t = {r.Timestep}", Palette[i % Palette.Length],
                string.Join(' ', points.Select(p => $"{Num(p.Item1)},{Num(p.Item2)}")), points);
        }).ToList();
        _yTicks = Enumerable.Range(0, (int)(high - low) + 1).Select(d => (Y(low + d), (low + d).ToString("0", CultureInfo.InvariantCulture))).ToList();
        int step = Math.Max(1, (int)Math.Ceiling(longest / 12.0));
        _xTicks = Enumerable.Range(0, longest).Where(k => k % step == 0).Select(k => (X(k), (k + 1).ToString(CultureInfo.InvariantCulture))).ToList();
    }

    private static string Num(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private sealed record Line(string Name, string Color, string Points, IReadOnlyList<(double X, double Y)> Markers);
}
