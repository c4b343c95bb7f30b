using ReNoise.Engine.IO;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>What to invert: the source prompt and the parameters (the photo comes with <see cref="InversionPipeline.Invert"/>).</summary>
public sealed record InversionRequest
{
    public required string Prompt { get; init; }
    public InversionParameters Parameters { get; init; } = InversionParameters.Default;

    /// <summary>
    /// n_f, shape [1,C,h,w], replacing the seeded draws (to reproduce another implementation); with
    /// it, <see cref="StepNoise"/> must hold the step maps of a stochastic sampler. Shapes are checked
    /// by the plan.
    /// </summary>
    public NpyArray? ForwardNoise { get; init; }

    /// <summary>One map per inverted step in sampling order, shape [N,1,C,h,w]; unused by deterministic samplers.</summary>
    public NpyArray? StepNoise { get; init; }
}

/// <summary>
/// An inversion worked out before it runs (<see cref="InversionPipeline.Plan"/>): the schedule and
/// where it starts, the working size and latent shape, the model calls it will make and the
/// warnings a user should read first. Creating one loads no ONNX session but the tokenizer's.
/// </summary>
public sealed class InversionPlan
{
    internal InversionPlan(DiffusionModel model, InversionRequest request, InversionParameters parameters, IScheduler scheduler,
        int startIndex, LatentShape shape, int modelCalls, int promptTokens, int promptTokenLimit, IReadOnlyList<string> warnings)
    {
        Model = model;
        Request = request;
        Parameters = parameters;
        Sampler = scheduler;
        StartIndex = startIndex;
        Shape = shape;
        ModelCalls = modelCalls;
        PromptTokens = promptTokens;
        PromptTokenLimit = promptTokenLimit;
        Warnings = warnings;
        var inverted = new int[StepCount];
        for (int k = 0; k < inverted.Length; k++) inverted[k] = scheduler.Timesteps[^(k + 1)];
        InvertedTimesteps = inverted;
    }

    internal DiffusionModel Model { get; }
    internal IScheduler Sampler { get; }

    public InversionRequest Request { get; }

    /// <summary>The request's parameters with the scheduler's canonical name and the working size filled in.</summary>
    public InversionParameters Parameters { get; }

    /// <summary>The sampler's name (<see cref="SchedulerNames"/>).</summary>
    public string Scheduler => Sampler.Name;

    /// <summary>True when the sampler draws a noise map per step (and the inversion keeps one per step).</summary>
    public bool IsStochastic => Sampler.IsStochastic;

    /// <summary>The full schedule, descending (sampling order).</summary>
    public IReadOnlyList<int> Timesteps => Sampler.Timesteps;

    /// <summary>Index into <see cref="Timesteps"/> of the highest-noise step inverted (spec §6).</summary>
    public int StartIndex { get; }

    /// <summary>Steps inverted (and denoised by an edit).</summary>
    public int StepCount => Sampler.Timesteps.Count - StartIndex;

    /// <summary>The timesteps inverted, lowest noise first.</summary>
    public IReadOnlyList<int> InvertedTimesteps { get; }

    public int Width => Parameters.Width!.Value;
    public int Height => Parameters.Height!.Value;
    public LatentShape Shape { get; }

    /// <summary>
    /// UNet calls of the inversion (spec §5: R_t + 1 per step, plus the noise-correction call of
    /// stochastic samplers; a batched call counts once). Exact unless <see cref="IsAdaptive"/>, when
    /// it is the most the inversion can make.
    /// </summary>
    public int ModelCalls { get; }

    /// <summary>True when adaptive renoise may stop steps early (fewer calls than <see cref="ModelCalls"/>).</summary>
    public bool IsAdaptive => Parameters.RenoiseTolerance > 0;

    /// <summary>UNet calls of the reconstruction that follows the inversion (one per step).</summary>
    public int ReconstructionCalls => StepCount;

    /// <summary>Tokens of the prompt (start and end tokens not counted) and how many the text encoder takes.</summary>
    public int PromptTokens { get; }

    public int PromptTokenLimit { get; }

    public bool PromptTruncated => PromptTokens > PromptTokenLimit;

    /// <summary>Things to know before running (a model warning, an averaging window that covers nothing, a long prompt).</summary>
    public IReadOnlyList<string> Warnings { get; }
}
