using System.Globalization;
using System.Text;
using ReNoise.Engine;

namespace ReNoise.Cli.Bench;

/// <summary>
/// results.csv (one row per image x configuration) and images.csv (one row per image: its VAE
/// round trip). RFC 4180: comma separated, fields with commas, quotes or line breaks quoted;
/// numbers in invariant culture; a metric that was not measured (a diverged run, no LPIPS model)
/// is an empty field. The columns are documented in docs/benchmarks.md.
/// </summary>
public static class BenchCsv
{
    public const string ResultsFile = "results.csv";
    public const string ImagesFile = "images.csv";

    public static readonly string[] ResultColumns =
    [
        "image", "config", "label", "scheduler", "steps", "renoise_steps", "tolerance", "accel", "status", "error",
        "nfe", "nfe_nominal", "nfe_saved",
        "psnr", "ssim", "mse", "psnr_vae", "ssim_vae", "mse_vae", "lpips", "lpips_vae",
        "wall_ms", "inversion_ms", "ort_ms", "engine_ms",
    ];

    public static readonly string[] ImageColumns = ["image", "prompt", "vae_psnr", "vae_ssim", "vae_mse", "vae_lpips"];

    public static void WriteResults(string path, BenchReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', ResultColumns));
        foreach (var r in report.Rows)
        {
            bool ok = r.Ok;
            string[] fields =
            [
                r.Image, r.Configuration, r.Label, r.Scheduler, Int(r.Steps), Int(r.RenoiseSteps), Number(r.Tolerance), r.Accel, r.Status, r.Error,
                ok ? Int(r.Nfe) : "", Int(r.NominalNfe), ok ? Int(r.NfeSaved) : "",
                Number(r.Psnr), Number(r.Ssim), Number(r.Mse), Number(r.PsnrVae), Number(r.SsimVae), Number(r.MseVae),
                Number(r.Lpips), Number(r.LpipsVae),
                ok ? Number(r.WallMs) : "", ok ? Number(r.InversionMs) : "", ok ? Number(r.OrtMs) : "", ok ? Number(r.EngineMs) : "",
            ];
            text.AppendLine(string.Join(',', fields.Select(Quote)));
        }
        File.WriteAllText(path, text.ToString());
    }

    public static void WriteImages(string path, BenchReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', ImageColumns));
        foreach (var i in report.Images)
            text.AppendLine(string.Join(',', new[] { i.Name, i.Prompt, Number(i.VaePsnr), Number(i.VaeSsim), Number(i.VaeMse), Number(i.VaeLpips) }.Select(Quote)));
        File.WriteAllText(path, text.ToString());
    }

    /// <summary>Splits one CSV line (RFC 4180, no line breaks inside fields) into its fields.</summary>
    public static IReadOnlyList<string> ParseLine(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Round-trippable number; NaN (not measured) is empty, infinity is "inf".</summary>
    private static string Number(double value) =>
        double.IsNaN(value) ? ""
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
