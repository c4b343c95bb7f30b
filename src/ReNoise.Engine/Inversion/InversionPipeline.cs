using System.Diagnostics;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.IO;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>Noise supplied from outside instead of the seeded draws (to reproduce other implementations).</summary>
/// <param name="ForwardNoise">n_f, shape [1,C,h,w].</param>
/// <param name="StepNoise">One map per inverted step in sampling order, shape [N,1,C,h,w]; null for deterministic schedulers.</param>
public sealed record NoiseOverride(NpyArray ForwardNoise, NpyArray? StepNoise);

/// <summary>What to invert and how.</summary>
public sealed record InversionRequest
{
    public required RgbImage Image { get; init; }
    public required string Prompt { get; init; }
    public ReNoiseOptions Options { get; init; } = new();

    /// <summary>"ddim", "euler-ancestral", "lcm", or null for the model's own.</summary>
    public string? Scheduler { get; init; }

    public NoiseOverride? Noise { get; init; }

    /// <summary>
    /// LCM guidance scale w for UNets that take <c>timestep_cond</c> (the embedding of w - 1 is fed);
    /// null means diffusers' default 8.5. Ignored, with a warning when set, for other UNets.
    /// </summary>
    public double? LcmGuidanceScale { get; init; }
}

/// <summary>An inversion and everything needed to edit or reconstruct from it.</summary>
public sealed class InversionResult
{
    public required RgbImage Input { get; init; }
    public required RgbImage Reconstruction { get; init; }
    public required float[] CleanLatent { get; init; }
    public required InversionTrace Trace { get; init; }
    public required LatentShape Shape { get; init; }
    public required string Scheduler { get; init; }

    /// <summary>The full descending schedule; the inversion covers it from <see cref="StartIndex"/> on.</summary>
    public required IReadOnlyList<int> Timesteps { get; init; }

    public required int StartIndex { get; init; }
    public required double Psnr { get; init; }
    public required double Ssim { get; init; }
    public required bool PromptTruncated { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    public required TimeSpan InversionTime { get; init; }

    /// <summary>The LCM guidance scale fed as <c>timestep_cond</c>; null when the UNet takes none.</summary>
    public double? LcmGuidanceScale { get; init; }
}

/// <summary>A denoising run from a stored inversion: a reconstruction or an edit.</summary>
public sealed class DenoiseResult
{
    public required RgbImage Image { get; init; }
    public required float[] Latent { get; init; }
    public required int Nfe { get; init; }
    public required bool PromptTruncated { get; init; }
}

/// <summary>
/// Composes a loaded model, a scheduler and the ReNoise loop: image -> z0 -> inverted latent and
/// noise maps -> reconstruction, and stored inversion -> edit. Front ends (CLI, web) call this.
/// </summary>
public sealed class InversionPipeline(DiffusionModel model)
{
    public DiffusionModel Model { get; } = model;

    /// <summary>Builds the scheduler the request asks for (or the model's own) for N steps.</summary>
    public IScheduler CreateScheduler(string? name, int steps) =>
        SchedulerFactory.Create(name, SchedulerConfig.Load(Model.SchedulerConfigPath), steps);

    /// <summary>
    /// First step index inverted for a strength (spec §6): SD 1.x/2.x pipelines keep the last
    /// int(n * s) timesteps; SDXL pipelines keep the timesteps below round(1000 * s).
    /// </summary>
    public static int StartIndexFor(IReadOnlyList<int> timesteps, double strength, bool sdxlRule)
    {
        int n = timesteps.Count;
        int start;
        if (sdxlRule)
        {
            int limit = (int)Math.Round(1000 * strength, MidpointRounding.ToEven);
            start = 0;
            while (start < n && timesteps[start] >= limit) start++;
        }
        else
        {
            start = n - Math.Min((int)(n * strength), n);
        }
        if (start >= n)
            throw new ReNoiseInputException($"--strength {strength} inverts none of the {n} timesteps; raise it or the step count");
        return start;
    }

    public InversionResult Invert(InversionRequest request, Action<InversionProgress>? progress = null, CancellationToken cancellation = default)
    {
        var options = request.Options;
        options.Validate();
        if (request.LcmGuidanceScale is { } w && !(double.IsFinite(w) && w >= 0))
            throw new ReNoiseInputException($"--lcm-guidance must be a finite number >= 0, got {w}");
        var clock = Stopwatch.StartNew();
        IScheduler scheduler = CreateScheduler(request.Scheduler, options.InversionSteps);
        var shape = Model.LatentShapeFor(request.Image.Width, request.Image.Height);
        int start = StartIndexFor(scheduler.Timesteps, options.Strength, Model.Family == ModelFamily.Sdxl);
        int stepCount = scheduler.Timesteps.Count - start;
        var warnings = new List<string>(Model.Warnings);
        warnings.AddRange(WindowWarnings(scheduler, start, options));
        INoisePredictor unet = Model.NoisePredictor(request.LcmGuidanceScale);
        double? lcmGuidance = unet is GuidanceConditionedUNet conditioned ? conditioned.GuidanceScale : null;
        if (request.LcmGuidanceScale is not null && lcmGuidance is null)
            warnings.Add("--lcm-guidance has no effect: this model's UNet takes no guidance embedding (timestep_cond)");

        // Draw order is fixed (forward noise, then one map per step) so a seed reproduces a run.
        var random = new SeededRandom(options.Seed);
        float[] forwardNoise;
        float[][] stepNoise;
        if (request.Noise is { } given)
        {
            (forwardNoise, stepNoise) = SplitNoise(given, shape, stepCount, scheduler.IsStochastic);
        }
        else
        {
            forwardNoise = new float[shape.Length];
            random.FillGaussian(forwardNoise);
            stepNoise = scheduler.IsStochastic ? new float[stepCount][] : [];
            for (int k = 0; k < stepNoise.Length; k++)
            {
                stepNoise[k] = new float[shape.Length];
                random.FillGaussian(stepNoise[k]);
            }
        }

        PromptEmbeddings prompt = Model.EncodePrompt(request.Prompt);
        if (prompt.Truncated) warnings.Add("the prompt is longer than the text encoder's 77 tokens and was truncated");
        // No negative prompt during inversion: SDXL models with force_zeros_for_empty_prompt use zeros.
        PromptEmbeddings? negative = options.InversionGuidance > 1 ? Model.EncodeUnconditional() : null;

        float[] pixels = new float[3 * request.Image.Width * request.Image.Height];
        ImageTensor.ToNchw(request.Image, pixels);
        float[] z0 = Model.EncodeImage(pixels, request.Image.Width, request.Image.Height);

        var inverter = new ReNoiseInverter(scheduler, unet, shape, options);
        var trace = inverter.Invert(new InversionInputs
        {
            CleanLatent = z0,
            ForwardNoise = forwardNoise,
            StepNoise = stepNoise,
            Prompt = prompt,
            Negative = negative,
            ForwardNoisedKlTarget = UsesForwardNoisedKlTarget(Model.Family, scheduler),
            StartIndex = start,
        }, progress, cancellation);
        var inversionTime = clock.Elapsed;

        float[] reconstructed = inverter.Denoise(trace.Latent, start, trace.NoiseMaps, prompt, null, 1.0, cancellation: cancellation);
        RgbImage reconstruction = Decode(reconstructed, shape, request.Image.Width, request.Image.Height);

        return new InversionResult
        {
            Input = request.Image,
            Reconstruction = reconstruction,
            CleanLatent = z0,
            Trace = trace,
            Shape = shape,
            Scheduler = scheduler.Name,
            Timesteps = scheduler.Timesteps,
            StartIndex = start,
            Psnr = ImageMetrics.Psnr(request.Image, reconstruction),
            Ssim = ImageMetrics.Ssim(request.Image, reconstruction),
            PromptTruncated = prompt.Truncated,
            Warnings = warnings,
            InversionTime = inversionTime,
            LcmGuidanceScale = lcmGuidance,
        };
    }

    /// <summary>
    /// The KL target of the regularizer is the prediction at add_noise(z0, n_f, t) in SDXL pipelines
    /// and at z0 itself in the reference's SD 1.x/2.x pipelines (spec §5), which run DDIM, where the
    /// model sees latents unscaled. A sampler that scales the model input (Euler ancestral, in sigma
    /// space) would show the UNet z0 / sqrt(sigma^2 + 1), nearly zero at high noise, and the target
    /// collapses (the KL step then blows the prediction up); there the forward-noised latent is the
    /// target the method means.
    /// </summary>
    public static bool UsesForwardNoisedKlTarget(ModelFamily family, IScheduler scheduler) =>
        family == ModelFamily.Sdxl || scheduler.ModelInputScale(0) != 1f;

    /// <summary>
    /// Denoises a stored inversion with <paramref name="prompt"/> (spec §9). With guidance above 1
    /// the source prompt is the negative prompt. Reconstruction is the source prompt at guidance 1.
    /// </summary>
    public DenoiseResult Denoise(StoredInversion inversion, string prompt, double guidance,
        Action<int, int>? progress = null, CancellationToken cancellation = default)
    {
        if (!double.IsFinite(guidance) || guidance < 0) throw new ReNoiseInputException($"--guidance must be a finite number >= 0, got {guidance}");
        IScheduler scheduler = CreateScheduler(inversion.Scheduler, inversion.Steps);
        var shape = inversion.Shape;
        var options = new ReNoiseOptions { InversionSteps = inversion.Steps };
        // The edit must see the UNet conditioned as the inversion saw it (same LCM guidance embedding).
        var inverter = new ReNoiseInverter(scheduler, Model.NoisePredictor(inversion.Manifest.LcmGuidanceScale), shape, options);
        PromptEmbeddings target = Model.EncodePrompt(prompt);
        PromptEmbeddings? negative = guidance > 1 ? Model.EncodePrompt(inversion.SourcePrompt) : null;
        int calls = 0;
        float[] latent = inverter.Denoise(inversion.Latent, inversion.StartIndex, inversion.NoiseMaps, target, negative, guidance,
            (done, total) => { calls = done; progress?.Invoke(done, total); }, cancellation);
        return new DenoiseResult
        {
            Image = Decode(latent, shape, inversion.Width, inversion.Height),
            Latent = latent,
            Nfe = calls,
            PromptTruncated = target.Truncated,
        };
    }

    private RgbImage Decode(float[] latent, LatentShape shape, int width, int height)
    {
        float[] pixels = Model.DecodeLatent(latent, shape);
        return ImageTensor.FromNchw(pixels, width, height);
    }

    /// <summary>
    /// Steps whose averaging window covers none of their iterations (a warning, not an error): one
    /// line per window and iteration count, listing the timesteps, so a 50-step run with R = 1 (the
    /// paper's SD preset, whose later steps are not averaged) warns once rather than 49 times.
    /// </summary>
    private static IEnumerable<string> WindowWarnings(IScheduler scheduler, int start, ReNoiseOptions options)
    {
        if (!options.Averaging) yield break;
        var uncovered = new List<(AveragingWindow Window, int Iterations, int Timestep)>();
        for (int index = start; index < scheduler.Timesteps.Count; index++)
        {
            int t = scheduler.Timesteps[index];
            int iterations = options.RenoiseStepsFor(t);
            var window = options.WindowFor(t);
            if (!window.Covers(iterations)) uncovered.Add((window, iterations, t));
        }
        foreach (var group in uncovered.GroupBy(u => (u.Window, u.Iterations)))
        {
            var timesteps = group.Select(u => u.Timestep).ToList();
            string which = timesteps.Count switch
            {
                1 => $"timestep {timesteps[0]}; that step is",
                <= 8 => $"timesteps {string.Join(", ", timesteps)}; those steps are",
                _ => $"{timesteps.Count} timesteps ({timesteps[0]} down to {timesteps[^1]}); those steps are",
            };
            yield return $"averaging window {group.Key.Window} covers none of the iterations 0..{group.Key.Iterations} of {which} not averaged";
        }
    }

    /// <summary>Checks supplied noise against the exact shapes this run needs and splits it per step.</summary>
    private static (float[] Forward, float[][] Steps) SplitNoise(NoiseOverride noise, LatentShape shape, int stepCount, bool stochastic)
    {
        int[] forwardShape = [1, shape.Channels, shape.Height, shape.Width];
        if (!noise.ForwardNoise.Shape.SequenceEqual(forwardShape))
            throw new ReNoiseInputException($"forward_noise.npy has shape {Describe(noise.ForwardNoise.Shape)}; this run needs {Describe(forwardShape)}");
        if (!stochastic) return ((float[])noise.ForwardNoise.Data.Clone(), []);

        int[] stepShape = [stepCount, 1, shape.Channels, shape.Height, shape.Width];
        if (noise.StepNoise is null)
            throw new ReNoiseInputException($"step_noise.npy is needed for a stochastic scheduler, shape {Describe(stepShape)}");
        if (!noise.StepNoise.Shape.SequenceEqual(stepShape))
            throw new ReNoiseInputException($"step_noise.npy has shape {Describe(noise.StepNoise.Shape)}; this run needs {Describe(stepShape)}");
        var steps = new float[stepCount][];
        for (int k = 0; k < stepCount; k++) steps[k] = noise.StepNoise.Data.AsSpan(k * shape.Length, shape.Length).ToArray();
        return ((float[])noise.ForwardNoise.Data.Clone(), steps);
    }

    private static string Describe(IEnumerable<int> shape) => "[" + string.Join(",", shape) + "]";
}
