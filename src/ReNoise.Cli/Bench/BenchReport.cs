using ReNoise.Engine;
using ReNoise.Engine.Inversion;

namespace ReNoise.Cli.Bench;

/// <summary>An image of the bench and the source prompt it is inverted with.</summary>
public sealed record BenchImage(string Name, string Path, string Prompt);

/// <summary>How every configuration of a bench is run.</summary>
public sealed record BenchSettings
{
    /// <summary>
    /// The parameters the configurations start from (sampler, steps, seed, weights, windows, working
    /// size; a null sampler or size takes the model's own).
    /// </summary>
    public InversionParameters BaseParameters { get; init; } = InversionParameters.Default;

    /// <summary>The preset the base parameters came from, for the report (informational).</summary>
    public string? Preset { get; init; }
}

/// <summary>Where the bench is, reported after every model call of the inversions.</summary>
/// <param name="Run">1-based run (image x configuration).</param>
/// <param name="Runs">Runs in the bench.</param>
/// <param name="Nfe">Model calls of the current inversion so far.</param>
/// <param name="NominalNfe">Model calls the current inversion makes without an early stop.</param>
public readonly record struct BenchProgress(int Run, int Runs, string Image, string Configuration, int Nfe, int NominalNfe);

/// <summary>One image x configuration: the measurement, or why there is none.</summary>
public sealed record BenchRow
{
    public required string Image { get; init; }
    public required string Configuration { get; init; }
    public required string Label { get; init; }
    public required string Scheduler { get; init; }
    public required int Steps { get; init; }
    public required int RenoiseSteps { get; init; }
    public required double Tolerance { get; init; }
    public required string Accel { get; init; }

    /// <summary>"ok", or "diverged" (the inversion produced non-finite values; see <see cref="Error"/>).</summary>
    public required string Status { get; init; }

    public string Error { get; init; } = "";

    /// <summary>Model calls of the inversion (the reconstruction's N calls are not counted, as in the paper).</summary>
    public int Nfe { get; init; }

    /// <summary>Model calls the configuration makes without an early stop.</summary>
    public required int NominalNfe { get; init; }

    public int NfeSaved { get; init; }

    /// <summary>Reconstruction against the input image.</summary>
    public double Psnr { get; init; } = double.NaN;

    public double Ssim { get; init; } = double.NaN;
    public double Mse { get; init; } = double.NaN;

    /// <summary>Reconstruction against the VAE round trip (encode + decode) of the input: what inversion alone loses.</summary>
    public double PsnrVae { get; init; } = double.NaN;

    public double SsimVae { get; init; } = double.NaN;
    public double MseVae { get; init; } = double.NaN;

    /// <summary>LPIPS against the input and the VAE round trip; NaN without an LPIPS model.</summary>
    public double Lpips { get; init; } = double.NaN;

    public double LpipsVae { get; init; } = double.NaN;

    /// <summary>The whole pipeline call: prompt and image encoding, inversion, reconstruction, decoding.</summary>
    public double WallMs { get; init; }

    /// <summary>The inversion alone (encoding included, reconstruction not).</summary>
    public double InversionMs { get; init; }

    /// <summary>Time inside ONNX Runtime during <see cref="WallMs"/>.</summary>
    public double OrtMs { get; init; }

    /// <summary>Wall minus ONNX Runtime: the engine's own work (scheduler, regularization, averaging, I/O glue).</summary>
    public double EngineMs { get; init; }

    public bool Ok => Status == BenchRunner.StatusOk;
}

/// <summary>An input image and its VAE round trip: the ceiling any inversion can reach.</summary>
public sealed record BenchImageReference
{
    public required string Name { get; init; }
    public required string Prompt { get; init; }
    public required double VaePsnr { get; init; }
    public required double VaeSsim { get; init; }
    public required double VaeMse { get; init; }
    public double VaeLpips { get; init; } = double.NaN;
}

/// <summary>Means over the images of one configuration (successful runs only).</summary>
public sealed record BenchSummary
{
    public required BenchConfiguration Configuration { get; init; }
    public required int Runs { get; init; }
    public required int Failed { get; init; }
    public required double Nfe { get; init; }
    public required double NominalNfe { get; init; }
    public required double NfeSaved { get; init; }
    public required double Psnr { get; init; }
    public required double Ssim { get; init; }
    public required double Mse { get; init; }
    public required double PsnrVae { get; init; }
    public required double SsimVae { get; init; }
    public required double Lpips { get; init; }
    public required double LpipsVae { get; init; }
    public required double WallMs { get; init; }
    public required double OrtMs { get; init; }
    public required double EngineMs { get; init; }

    /// <summary>The first error of a failed run, for the table's notes.</summary>
    public string FirstError { get; init; } = "";
}

/// <summary>Everything a bench measured, with what it ran on.</summary>
public sealed class BenchReport
{
    public required string ModelPath { get; init; }
    public required string Family { get; init; }
    public required string ExecutionProvider { get; init; }
    public required string Scheduler { get; init; }
    public required bool Stochastic { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required InversionParameters BaseParameters { get; init; }
    public string? Preset { get; init; }
    public required IReadOnlyList<BenchConfiguration> Configurations { get; init; }
    public required IReadOnlyList<BenchImageReference> Images { get; init; }
    public required IReadOnlyList<BenchRow> Rows { get; init; }
    public string? LpipsModel { get; init; }
    public required TimeSpan Elapsed { get; init; }

    public bool HasLpips => LpipsModel is not null;

    /// <summary>Means per configuration, in configuration order.</summary>
    public IReadOnlyList<BenchSummary> Summaries() => Configurations.Select(Summarize).ToList();

    private BenchSummary Summarize(BenchConfiguration configuration)
    {
        var all = Rows.Where(r => r.Configuration == configuration.Name).ToList();
        var ok = all.Where(r => r.Ok).ToList();
        double Mean(Func<BenchRow, double> value) => ok.Count == 0 ? double.NaN : ok.Average(value);
        return new BenchSummary
        {
            Configuration = configuration,
            Runs = all.Count,
            Failed = all.Count - ok.Count,
            Nfe = Mean(r => r.Nfe),
            NominalNfe = all.Count == 0 ? double.NaN : all.Average(r => r.NominalNfe),
            NfeSaved = Mean(r => r.NfeSaved),
            Psnr = Mean(r => r.Psnr),
            Ssim = Mean(r => r.Ssim),
            Mse = Mean(r => r.Mse),
            PsnrVae = Mean(r => r.PsnrVae),
            SsimVae = Mean(r => r.SsimVae),
            Lpips = Mean(r => r.Lpips),
            LpipsVae = Mean(r => r.LpipsVae),
            WallMs = Mean(r => r.WallMs),
            OrtMs = Mean(r => r.OrtMs),
            EngineMs = Mean(r => r.EngineMs),
            FirstError = all.FirstOrDefault(r => !r.Ok)?.Error ?? "",
        };
    }
}
