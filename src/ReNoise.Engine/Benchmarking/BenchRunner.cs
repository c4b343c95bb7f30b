using System.Diagnostics;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;

namespace ReNoise.Engine.Benchmarking;

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
        settings.BaseOptions.Validate();
        var clock = Stopwatch.StartNew();
        var model = pipeline.Model;
        int width = settings.Width > 0 ? settings.Width : model.DefaultImageSize;
        int height = settings.Height > 0 ? settings.Height : model.DefaultImageSize;
        ImageLoader.ValidateSize(width, height);
        IScheduler baseScheduler = pipeline.CreateScheduler(settings.Scheduler, settings.BaseOptions.InversionSteps);

        // Options are derived and checked before any model call, so a bad base fails fast.
        var options = configurations.Select(c => c.OptionsFrom(settings.BaseOptions)).ToArray();
        foreach (var o in options) o.Validate();

        var rows = new List<BenchRow>(images.Count * configurations.Count);
        var references = new List<BenchImageReference>(images.Count);
        int runs = images.Count * configurations.Count, run = 0;
        foreach (var image in images)
        {
            cancellation.ThrowIfCancellationRequested();
            RgbImage input = ImageLoader.Load(image.Path, width, height);
            RgbImage vae = RoundTrip(input);
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
                int nominal = NominalNfe(options[c], settings.Scheduler);
                int current = run;
                Action<InversionProgress>? report = progress is null ? null
                    : p => progress(new BenchProgress(current, runs, image.Name, configuration.Name, p.Nfe, nominal));
                progress?.Invoke(new BenchProgress(run, runs, image.Name, configuration.Name, 0, nominal));
                rows.Add(Measure(image, input, vae, configuration, options[c], settings.Scheduler, baseScheduler.Name, nominal, report, cancellation));
            }
        }

        return new BenchReport
        {
            ModelPath = model.Folder,
            Family = model.Family.ToString(),
            ExecutionProvider = model.ExecutionProvider,
            Scheduler = baseScheduler.Name,
            Stochastic = baseScheduler.IsStochastic,
            Width = width,
            Height = height,
            BaseOptions = settings.BaseOptions,
            Preset = settings.Preset,
            Configurations = configurations,
            Images = references,
            Rows = rows,
            LpipsModel = lpips?.Path,
            Elapsed = clock.Elapsed,
        };
    }

    private BenchRow Measure(BenchImage image, RgbImage input, RgbImage vae, BenchConfiguration configuration, ReNoiseOptions options,
        string? scheduler, string schedulerName, int nominal, Action<InversionProgress>? progress, CancellationToken cancellation)
    {
        var model = pipeline.Model;
        var row = new BenchRow
        {
            Image = image.Name,
            Configuration = configuration.Name,
            Label = configuration.Label,
            Scheduler = schedulerName,
            Steps = options.InversionSteps,
            RenoiseSteps = options.RenoiseSteps,
            Tolerance = options.RenoiseTolerance,
            Accel = RenoiseAccelerationNames.ToCli(options.RenoiseAcceleration),
            Status = StatusOk,
            NominalNfe = nominal,
        };

        TimeSpan ortBefore = model.OrtTime;
        long started = Stopwatch.GetTimestamp();
        InversionResult result;
        try
        {
            result = pipeline.Invert(new InversionRequest { Image = input, Prompt = image.Prompt, Options = options, Scheduler = scheduler },
                progress, cancellation);
        }
        catch (InversionDivergedException e)
        {
            return row with { Status = StatusDiverged, Error = e.Message };
        }
        double wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        double ort = (model.OrtTime - ortBefore).TotalMilliseconds;

        var reconstruction = result.Reconstruction;
        return row with
        {
            Nfe = result.Trace.Nfe,
            NfeSaved = result.Trace.NfeSaved,
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

    /// <summary>The input encoded and decoded by the model's VAE.</summary>
    private RgbImage RoundTrip(RgbImage input)
    {
        var model = pipeline.Model;
        var pixels = new float[3 * input.Width * input.Height];
        ImageTensor.ToNchw(input, pixels);
        float[] latent = model.EncodeImage(pixels, input.Width, input.Height);
        float[] decoded = model.DecodeLatent(latent, model.LatentShapeFor(input.Width, input.Height));
        return ImageTensor.FromNchw(decoded, input.Width, input.Height);
    }

    /// <summary>
    /// Model calls of an inversion that runs every iteration (spec §5): R_t + 1 per inverted step,
    /// plus the correction call of stochastic schedulers.
    /// </summary>
    public int NominalNfe(ReNoiseOptions options, string? scheduler)
    {
        IScheduler s = pipeline.CreateScheduler(scheduler, options.InversionSteps);
        int start = InversionPipeline.StartIndexFor(s.Timesteps, options.Strength, pipeline.Model.Family == ModelFamily.Sdxl);
        bool correction = options.NoiseCorrection != NoiseCorrectionMode.Off && s.IsStochastic;
        int nfe = 0;
        for (int index = start; index < s.Timesteps.Count; index++)
            nfe += options.RenoiseStepsFor(s.Timesteps[index]) + 1 + (correction ? 1 : 0);
        return nfe;
    }
}
