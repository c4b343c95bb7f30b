using System.Globalization;
using CsvHelper;

namespace ReNoise.Cli.Bench;

/// <summary>
/// results.csv (one row per image x configuration) and images.csv (one row per image: its VAE
/// round trip), written with CsvHelper (RFC 4180 quoting, invariant culture, "\n" line ends as
/// before). A metric that was not measured (a diverged run, no LPIPS model) is an empty field;
/// numbers round-trip. The columns are documented in docs/benchmarks.md.
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

    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture };

    public static void WriteResults(string path, BenchReport report)
    {
        using var csv = CsvWriter.ToFile(path, Options);
        csv.WriteHeader(ResultColumns);
        foreach (var r in report.Rows)
        {
            // A diverged run made calls but measured nothing: its counts and times stay empty.
            bool ok = r.Ok;
            Fields(csv, r.Image, r.Configuration, r.Label, r.Scheduler, Int(r.Steps), Int(r.RenoiseSteps), Number(r.Tolerance), r.Accel, r.Status, r.Error,
                ok ? Int(r.Nfe) : "", Int(r.NominalNfe), ok ? Int(r.NfeSaved) : "",
                Number(r.Psnr), Number(r.Ssim), Number(r.Mse), Number(r.PsnrVae), Number(r.SsimVae), Number(r.MseVae),
                Number(r.Lpips), Number(r.LpipsVae),
                ok ? Number(r.WallMs) : "", ok ? Number(r.InversionMs) : "", ok ? Number(r.OrtMs) : "", ok ? Number(r.EngineMs) : "");
        }
    }

    public static void WriteImages(string path, BenchReport report)
    {
        using var csv = CsvWriter.ToFile(path, Options);
        csv.WriteHeader(ImageColumns);
        foreach (var i in report.Images)
            Fields(csv, i.Name, i.Prompt, Number(i.VaePsnr), Number(i.VaeSsim), Number(i.VaeMse), Number(i.VaeLpips));
    }

    private static void Fields(CsvWriter csv, params ReadOnlySpan<string> fields)
    {
        foreach (string field in fields) csv.WriteField(field);
        csv.EndRecord();
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Round-trippable number; NaN (not measured) is empty, infinity is "inf".</summary>
    private static string Number(double value) =>
        double.IsNaN(value) ? ""
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
