using System.Diagnostics;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Formats;

namespace ReNoise.Cli.Bench;

/// <summary>
/// Runs every configuration on every image with one loaded model and measures the
/// reconstruction (the decoded denoising of the inverted latent) against the input and against
/// the input's VAE round trip: PSNR, SSIM, MSE (and LPIPS with a model), NFE, wall time and the
/// part of it spent inside ONNX Runtime. A diverged inversion becomes a row with its error.
/// </summary>
public sealed class BenchRunner(InversionPipeline pipeline, LpipsModel? lpips = null)
{
    public const string StatusOk = "ok";
    public const string StatusDiverged = "diverged";

    public BenchReport Run(IReadOnlyList<BenchImage> images, IReadOnlyList<BenchConfiguration> configurations, BenchSettings settings,
        Action<BenchProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (images.Count == 0) throw new ReNoiseInputException("the bench has no images");
        if (configurations.Count == 0) throw new ReNoiseInputException("the bench has no configurations");
        var clock = Stopwatch.StartNew();
        var model = pipeline.Model;

        // Every configuration is planned before any model call, so a bad base fails fast.
        InversionPlan basePlan = pipeline.Plan(new InversionRequest { Prompt = images[0].Prompt, Parameters = settings.BaseParameters });
        var parameters = configurations.Select(c => c.ParametersFrom(basePlan.Parameters)).ToArray();
        foreach (var p in parameters) pipeline.Plan(new InversionRequest { Prompt = images[0].Prompt, Parameters = p });
        int width = basePlan.Width, height = basePlan.Height;

        var rows = new List<BenchRow>(images.Count * configurations.Count);
        var references = new List<BenchImageReference>(images.Count);
        int runs = images.Count * configurations.Count, run = 0;
        foreach (var image in images)
        {
            cancellation.ThrowIfCancellationRequested();
            RgbImage input = ImageLoader.Load(image.Path, width, height);
            RgbImage vae = pipeline.RoundTrip(input);
            references.Add(new BenchImageReference
            {
                Name = image.Name,
                Prompt = image.Prompt,
                VaePsnr = ImageMetrics.Psnr(input, vae),
                VaeSsim = ImageMetrics.Ssim(input, vae),
                VaeMse = ImageMetrics.MeanSquaredError(input, vae),
                VaeLpips = lpips?.Distance(input, vae) ?? double.NaN,
            });

            for (int c = 0; c < configurations.Count; c++)
            {
                run++;
                var configuration = configurations[c];
                InversionPlan plan = pipeline.Plan(new InversionRequest { Prompt = image.Prompt, Parameters = parameters[c] });
                int current = run;
                Action<InversionProgress>? report = progress is null ? null
                    : p => progress(new BenchProgress(current, runs, image.Name, configuration.Name, p.Nfe, plan.ModelCalls));
                progress?.Invoke(new BenchProgress(run, runs, image.Name, configuration.Name, 0, plan.ModelCalls));
                rows.Add(Measure(image, input, vae, configuration, plan, report, cancellation));
            }
        }

        return new BenchReport
        {
            ModelPath = model.Folder,
            Family = model.Family.ToString(),
            ExecutionProvider = model.ExecutionProvider,
            Scheduler = basePlan.Scheduler,
            Stochastic = basePlan.IsStochastic,
            Width = width,
            Height = height,
            BaseParameters = basePlan.Parameters,
            Preset = settings.Preset,
            Configurations = configurations,
            Images = references,
            Rows = rows,
            LpipsModel = lpips?.Path,
            Elapsed = clock.Elapsed,
        };
    }

    private BenchRow Measure(BenchImage image, RgbImage input, RgbImage vae, BenchConfiguration configuration, InversionPlan plan,
        Action<InversionProgress>? progress, CancellationToken cancellation)
    {
        var model = pipeline.Model;
        var parameters = plan.Parameters;
        var row = new BenchRow
        {
            Image = image.Name,
            Configuration = configuration.Name,
            Label = configuration.Label,
            Scheduler = plan.Scheduler,
            Steps = parameters.InversionSteps,
            RenoiseSteps = parameters.RenoiseSteps,
            Tolerance = parameters.RenoiseTolerance,
            Accel = ParameterWords.Of(parameters.RenoiseAcceleration),
            Status = StatusOk,
            NominalNfe = plan.ModelCalls,
        };

        TimeSpan ortBefore = model.OrtTime;
        long started = Stopwatch.GetTimestamp();
        InversionResult result;
        try
        {
            result = pipeline.Invert(plan, input, progress, cancellation);
        }
        catch (InversionDivergedException e)
        {
            return row with { Status = StatusDiverged, Error = e.Describe(CliParameters.Flag) };
        }
        double wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        double ort = (model.OrtTime - ortBefore).TotalMilliseconds;

        var reconstruction = result.Reconstruction;
        return row with
        {
            Nfe = result.Nfe,
            NfeSaved = result.NfeSaved,
            Psnr = ImageMetrics.Psnr(input, reconstruction),
            Ssim = ImageMetrics.Ssim(input, reconstruction),
            Mse = ImageMetrics.MeanSquaredError(input, reconstruction),
            PsnrVae = ImageMetrics.Psnr(vae, reconstruction),
            SsimVae = ImageMetrics.Ssim(vae, reconstruction),
            MseVae = ImageMetrics.MeanSquaredError(vae, reconstruction),
            Lpips = lpips?.Distance(input, reconstruction) ?? double.NaN,
            LpipsVae = lpips?.Distance(vae, reconstruction) ?? double.NaN,
            WallMs = wall,
            InversionMs = result.InversionTime.TotalMilliseconds,
            OrtMs = ort,
            EngineMs = wall - ort,
        };
    }
}
