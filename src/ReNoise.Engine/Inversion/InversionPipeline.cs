using System.Diagnostics;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.IO;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>
/// Composes a loaded model, a scheduler and the ReNoise loop: a request is planned (schedule,
/// size, model calls, warnings), then run: image -> z0 -> inverted latent and noise maps ->
/// reconstruction; an inverted latent is denoised into an edit. Front ends call only this.
/// </summary>
public sealed class InversionPipeline(DiffusionModel model)
{
    public DiffusionModel Model { get; } = model ?? throw new ArgumentNullException(nameof(model));

    /// <summary>
    /// Works out <paramref name="request"/> on this model without running it. Every problem with the
    /// parameters (their bounds, a scheduler the model cannot take, a size it cannot encode, a
    /// strength that inverts nothing) is one <see cref="ReNoiseInputException"/> carrying all of them.
    /// </summary>
    public InversionPlan Plan(InversionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Prompt);
        var given = request.Parameters;
        var problems = new List<ParameterProblem>(given.Validate());
        if (problems.Count > 0) throw new ReNoiseInputException(problems);

        SchedulerConfig config = Model.SchedulerConfig;
        if (given.InversionSteps > config.NumTrainTimesteps)
            problems.Add(new(ParameterKey.InversionSteps,
                $"must be at most {config.NumTrainTimesteps} for this model, got {given.InversionSteps}", 1, config.NumTrainTimesteps));
        int width = given.Width ?? Model.DefaultImageSize, height = given.Height ?? Model.DefaultImageSize;
        CheckSide(problems, ParameterKey.Width, width);
        CheckSide(problems, ParameterKey.Height, height);
        if (problems.Count > 0) throw new ReNoiseInputException(problems);

        IScheduler scheduler = CreateScheduler(given.Scheduler, config, given.InversionSteps);
        var parameters = given with { Scheduler = scheduler.Name, Width = width, Height = height };
        int start = StartIndexFor(scheduler.Timesteps, parameters.Strength, Model.Family == ModelFamily.Sdxl, config.NumTrainTimesteps);
        var shape = Model.LatentShapeFor(width, height);
        if (request.ForwardNoise is { } forward) CheckNoise(forward, request.StepNoise, shape, scheduler.Timesteps.Count - start, scheduler.IsStochastic);
        else if (request.StepNoise is not null) throw new ReNoiseInputException("step noise was given without the forward noise it goes with");

        var (tokens, limit) = Model.CountPromptTokens(request.Prompt);
        var warnings = new List<string>(Model.Warnings);
        warnings.AddRange(WindowWarnings(scheduler, start, parameters));
        if (tokens > limit)
            warnings.Add($"the prompt has {tokens} tokens, more than the {limit} the text encoder reads: it is truncated");

        return new InversionPlan(Model, request, parameters, scheduler, start, shape, ModelCallsFor(scheduler, start, parameters),
            tokens, limit, warnings);
    }

    /// <summary>
    /// The scheduler for the plan. A step count its schedule cannot take is a problem with the step
    /// count, said in the user's terms (the schedule's own message names scheduler_config.json keys).
    /// </summary>
    private static IScheduler CreateScheduler(string? name, SchedulerConfig config, int steps)
    {
        string resolved = name is null ? SchedulerFactory.DefaultNameFor(config, out _) : SchedulerFactory.Normalize(name);
        if (resolved == SchedulerNames.Lcm && steps > config.OriginalInferenceSteps)
            throw new ReNoiseInputException(new ParameterProblem(ParameterKey.InversionSteps,
                $"must be at most {config.OriginalInferenceSteps} with the {resolved} scheduler (its distilled schedule has {config.OriginalInferenceSteps} steps), got {steps}",
                1, config.OriginalInferenceSteps));
        try
        {
            return SchedulerFactory.Create(resolved, config, steps);
        }
        catch (ReNoiseInputException e) when (e.Problems.Count == 0)
        {
            throw new ReNoiseInputException(new ParameterProblem(ParameterKey.InversionSteps,
                $"cannot be {steps} with this model's {resolved} schedule (it would run past the model's last training timestep); try fewer"));
        }
    }

    /// <summary>
    /// Runs <paramref name="plan"/> on <paramref name="image"/> (at the plan's working size):
    /// encodes it, inverts it (spec §5) and reconstructs it. <paramref name="progress"/> is called
    /// after every model call and when each step completes.
    /// </summary>
    public InversionResult Invert(InversionPlan plan, RgbImage image, Action<InversionProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(image);
        if (!ReferenceEquals(plan.Model, Model)) throw new ArgumentException("the plan was made for another model", nameof(plan));
        if (image.Width != plan.Width || image.Height != plan.Height)
            throw new ArgumentException($"the image is {image.Width}x{image.Height}; the plan works at {plan.Width}x{plan.Height}", nameof(image));
        var clock = Stopwatch.StartNew();
        // With cross-job batching the other jobs wait for this one's UNet calls from here on (at most
        // the model's linger while it encodes), so jobs that start together advance together.
        var unet = Model.OpenSeat(plan.Parameters.LcmGuidanceScale);
        try
        {
            return Invert(plan, image, unet, clock, progress, cancellation);
        }
        finally
        {
            unet.Dispose();
        }
    }

    private InversionResult Invert(InversionPlan plan, RgbImage image, UNetSeat unet, Stopwatch clock,
        Action<InversionProgress>? progress, CancellationToken cancellation)
    {
        var parameters = plan.Parameters;
        IScheduler scheduler = plan.Sampler;
        var shape = plan.Shape;
        int start = plan.StartIndex;
        var warnings = new List<string>(plan.Warnings);
        double? lcmGuidance = unet.LcmGuidanceScale;
        if (parameters.LcmGuidanceScale is not null && lcmGuidance is null)
            warnings.Add("the LCM guidance scale has no effect: this model's UNet takes no guidance embedding (timestep_cond)");

        // Draw order is fixed (forward noise, then one map per step) so a seed reproduces a run.
        var (forwardNoise, stepNoise) = plan.Request.ForwardNoise is { } given
            ? CopyNoise(given, plan.Request.StepNoise, shape, plan.StepCount, scheduler.IsStochastic)
            : DrawNoise(parameters.Seed, shape, scheduler.IsStochastic ? plan.StepCount : 0);

        PromptEmbeddings prompt = Model.EncodePrompt(plan.Request.Prompt);
        // No negative prompt during inversion: SDXL models with force_zeros_for_empty_prompt use zeros.
        PromptEmbeddings? negative = parameters.InversionGuidance > 1 ? Model.EncodeUnconditional() : null;

        float[] z0 = Model.EncodeImage(image);

        var inverter = new ReNoiseInverter(scheduler, unet, shape, parameters);
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
        // The loops are done: the other jobs need not wait for this one's VAE.
        unet.Dispose();
        RgbImage reconstruction = Decode(reconstructed, shape, image.Width, image.Height);

        return new InversionResult
        {
            Inversion = new InvertedLatent
            {
                Model = ModelIdentity.Of(Model),
                Prompt = plan.Request.Prompt,
                Parameters = parameters with { LcmGuidanceScale = lcmGuidance },
                Timesteps = scheduler.Timesteps,
                StartIndex = start,
                Shape = shape,
                Latent = trace.Latent,
                NoiseMaps = trace.NoiseMaps,
            },
            Plan = plan,
            Input = image,
            Reconstruction = reconstruction,
            CleanLatent = z0,
            Trajectory = trace.Trajectory,
            Residuals = trace.Residuals,
            Nfe = trace.Nfe,
            NfeSaved = trace.NfeSaved,
            Psnr = ImageMetrics.Psnr(image, reconstruction),
            Ssim = ImageMetrics.Ssim(image, reconstruction),
            Warnings = warnings,
            InversionTime = inversionTime,
        };
    }

    /// <summary>Plans <paramref name="request"/> and runs it on <paramref name="image"/>.</summary>
    public InversionResult Invert(InversionRequest request, RgbImage image, Action<InversionProgress>? progress = null,
        CancellationToken cancellation = default) => Invert(Plan(request), image, progress, cancellation);

    /// <summary>
    /// Denoises <paramref name="inversion"/> with <paramref name="prompt"/> (spec §9): an edit, or with
    /// the source prompt at guidance 1 the reconstruction. With guidance above 1 the source prompt is
    /// the negative prompt. <paramref name="progress"/> gets (steps done, steps) after each step.
    /// </summary>
    public DenoiseResult Denoise(InvertedLatent inversion, string prompt, double guidance = 1.0,
        Action<int, int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(inversion);
        ArgumentNullException.ThrowIfNull(prompt);
        if (InversionParameters.CheckEditGuidance(guidance) is { } problem) throw new ReNoiseInputException(problem);
        inversion.Validate();
        if (inversion.Model.Family != Model.Family || inversion.Shape.Channels != Model.LatentChannels)
            throw new ReNoiseInputException(
                $"the inversion was made with a {inversion.Model.Family} model ({inversion.Shape.Channels} latent channels); this model is {Model.Family} ({Model.LatentChannels})");
        IScheduler scheduler = SchedulerFactory.Create(inversion.Scheduler, Model.SchedulerConfig, inversion.Timesteps.Count);
        if (!scheduler.Timesteps.SequenceEqual(inversion.Timesteps))
            throw new ReNoiseInputException(
                $"the inversion's timesteps ({string.Join(", ", inversion.Timesteps)}) are not this model's {scheduler.Name} schedule ({string.Join(", ", scheduler.Timesteps)})");
        var shape = inversion.Shape;
        if (Model.LatentShapeFor(inversion.Width, inversion.Height) != shape)
            throw new ReNoiseInputException($"a {inversion.Width}x{inversion.Height} image has no latent of shape {shape} on this model");

        // The edit must see the UNet conditioned as the inversion saw it (same LCM guidance embedding).
        var options = InversionParameters.Default with { InversionSteps = inversion.Timesteps.Count };
        int calls = 0;
        bool truncated;
        float[] latent;
        using (var unet = Model.OpenSeat(inversion.Parameters.LcmGuidanceScale))
        {
            PromptEmbeddings target = Model.EncodePrompt(prompt);
            PromptEmbeddings? negative = guidance > 1 ? Model.EncodePrompt(inversion.Prompt) : null;
            var inverter = new ReNoiseInverter(scheduler, unet, shape, options);
            latent = inverter.Denoise(inversion.Latent, inversion.StartIndex, inversion.NoiseMaps, target, negative, guidance,
                (done, total) => { calls = done; progress?.Invoke(done, total); }, cancellation);
            truncated = target.Truncated;
        }
        return new DenoiseResult
        {
            Image = Decode(latent, shape, inversion.Width, inversion.Height),
            Latent = latent,
            Nfe = calls,
            PromptTruncated = truncated,
        };
    }

    /// <summary>
    /// <paramref name="image"/> encoded and decoded by the model's VAE: the best any reconstruction
    /// can do (the ceiling benchmarks compare against).
    /// </summary>
    public RgbImage RoundTrip(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        float[] latent = Model.EncodeImage(image);
        return Decode(latent, Model.LatentShapeFor(image.Width, image.Height), image.Width, image.Height);
    }

    /// <summary>
    /// First step index inverted for a strength (spec §6): SD 1.x/2.x pipelines keep the last
    /// int(n * s) timesteps; SDXL pipelines keep the timesteps below round(T_train * s).
    /// </summary>
    internal static int StartIndexFor(IReadOnlyList<int> timesteps, double strength, bool sdxlRule, int trainTimesteps = 1000)
    {
        int n = timesteps.Count;
        int start;
        if (sdxlRule)
        {
            int limit = (int)Math.Round(trainTimesteps * strength, MidpointRounding.ToEven);
            start = 0;
            while (start < n && timesteps[start] >= limit) start++;
        }
        else
        {
            start = n - Math.Min((int)(n * strength), n);
        }
        if (start >= n)
            throw new ReNoiseInputException(new ParameterProblem(ParameterKey.Strength,
                $"{InversionParameters.Format(strength)} inverts none of the {n} timesteps; raise it or the step count", 0, 1));
        return start;
    }

    /// <summary>Model calls of an inversion that runs every iteration (spec §5).</summary>
    private static int ModelCallsFor(IScheduler scheduler, int start, InversionParameters parameters)
    {
        bool correction = parameters.NoiseCorrection != NoiseCorrectionMode.Off && scheduler.IsStochastic;
        int calls = 0;
        for (int index = start; index < scheduler.Timesteps.Count; index++)
            calls += parameters.RenoiseStepsFor(scheduler.Timesteps[index]) + 1 + (correction ? 1 : 0);
        return calls;
    }

    /// <summary>
    /// The KL target of the regularizer is the prediction at add_noise(z0, n_f, t) in SDXL pipelines
    /// and at z0 itself in the reference's SD 1.x/2.x pipelines (spec §5), which run DDIM, where the
    /// model sees latents unscaled. A sampler that scales the model input (Euler ancestral, in sigma
    /// space) would show the UNet z0 / sqrt(sigma^2 + 1), nearly zero at high noise, and the target
    /// collapses (the KL step then blows the prediction up); there the forward-noised latent is the
    /// target the method means.
    /// </summary>
    internal static bool UsesForwardNoisedKlTarget(ModelFamily family, IScheduler scheduler) =>
        family == ModelFamily.Sdxl || scheduler.ModelInputScale(0) != 1f;

    /// <summary>A latent decoded by the model's VAE (e.g. a step's latent, for a live preview).</summary>
    public RgbImage Decode(ReadOnlySpan<float> latent, LatentShape shape) =>
        Decode(latent, shape, shape.Width * Model.VaeScaleFactor, shape.Height * Model.VaeScaleFactor);

    private RgbImage Decode(ReadOnlySpan<float> latent, LatentShape shape, int width, int height)
    {
        if (latent.Length != shape.Length) throw new ArgumentException($"the latent holds {latent.Length} values, shape {shape} needs {shape.Length}", nameof(latent));
        return Model.DecodeImage(latent, shape, width, height);
    }

    private void CheckSide(List<ParameterProblem> problems, ParameterKey key, int side)
    {
        int multiple = Math.Max(InversionParameters.SideMultiple, Model.VaeScaleFactor);
        if (side % multiple != 0)
            problems.Add(new(key, $"must be a multiple of {multiple} for this model, got {side}",
                InversionParameters.SideMultiple, InversionParameters.MaxWorkingSide));
    }

    /// <summary>n_f, then one map per step, from the seed.</summary>
    internal static (float[] Forward, NoiseMaps Steps) DrawNoise(int seed, LatentShape shape, int stepMaps)
    {
        var random = new SeededRandom(seed);
        var forward = new float[shape.Length];
        random.FillGaussian(forward);
        var steps = new NoiseMaps(shape, stepMaps);
        for (int k = 0; k < stepMaps; k++) random.FillGaussian(steps[k]);
        return (forward, steps);
    }

    /// <summary>Supplied noise, copied so the run's corrections do not reach the caller's arrays.</summary>
    private static (float[] Forward, NoiseMaps Steps) CopyNoise(NpyArray forward, NpyArray? steps, LatentShape shape, int stepCount, bool stochastic) =>
        ((float[])forward.Data.Clone(),
            stochastic ? new NoiseMaps(shape, stepCount, (float[])steps!.Data.Clone()) : NoiseMaps.None(shape));

    /// <summary>Checks supplied noise against the exact shapes the run needs.</summary>
    private static void CheckNoise(NpyArray forward, NpyArray? steps, LatentShape shape, int stepCount, bool stochastic)
    {
        int[] forwardShape = [1, shape.Channels, shape.Height, shape.Width];
        if (!forward.Shape.SequenceEqual(forwardShape))
            throw new ReNoiseInputException($"forward_noise.npy has shape {Describe(forward.Shape)}; this run needs {Describe(forwardShape)}");
        if (!stochastic) return;
        int[] stepShape = [stepCount, 1, shape.Channels, shape.Height, shape.Width];
        if (steps is null)
            throw new ReNoiseInputException($"step_noise.npy is needed for a stochastic scheduler, shape {Describe(stepShape)}");
        if (!steps.Shape.SequenceEqual(stepShape))
            throw new ReNoiseInputException($"step_noise.npy has shape {Describe(steps.Shape)}; this run needs {Describe(stepShape)}");
    }

    private static string Describe(IEnumerable<int> shape) => "[" + string.Join(",", shape) + "]";

    /// <summary>
    /// Steps whose averaging window covers none of their iterations (a warning, not an error): one
    /// line per window and iteration count, listing the timesteps, so a 50-step run with R = 1 (the
    /// paper's SD preset, whose later steps are not averaged) warns once rather than 49 times.
    /// </summary>
    private static IEnumerable<string> WindowWarnings(IScheduler scheduler, int start, InversionParameters options)
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
}
