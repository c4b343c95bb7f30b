using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>The model an inversion was made with: what a later edit checks it is run on.</summary>
/// <param name="Path">The model folder, as loaded.</param>
/// <param name="ExecutionProvider">ONNX Runtime's provider that ran it (CPUExecutionProvider, CUDAExecutionProvider).</param>
public sealed record ModelIdentity(string Path, ModelFamily Family, ModelVariant Variant, float ScalingFactor, string ExecutionProvider)
{
    /// <summary>The identity of a loaded model.</summary>
    public static ModelIdentity Of(DiffusionModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new(model.Folder, model.Family, model.Variant, model.ScalingFactor, model.ExecutionProvider);
    }
}

/// <summary>
/// An inversion: the inverted latent z_T with the per-step noise maps and everything a denoising
/// run needs to retrace it (spec §9): the schedule and where it starts, the shape, the source
/// prompt, the parameters it ran with and the model it was made with. It is what
/// <see cref="InversionPipeline.Invert"/> produces and <see cref="InversionPipeline.Denoise"/> takes;
/// front ends store it (the CLI's folder, the studio's gallery row) and read it back.
/// </summary>
public sealed class InvertedLatent
{
    public required ModelIdentity Model { get; init; }

    /// <summary>The source prompt P.</summary>
    public required string Prompt { get; init; }

    /// <summary>The parameters as run: <see cref="InversionParameters.Scheduler"/>, the working size and the LCM guidance scale filled in.</summary>
    public required InversionParameters Parameters { get; init; }

    /// <summary>The full schedule, descending (sampling order).</summary>
    public required IReadOnlyList<int> Timesteps { get; init; }

    /// <summary>Index into <see cref="Timesteps"/> where denoising starts (a strength below 1 skips the first ones).</summary>
    public required int StartIndex { get; init; }

    public required LatentShape Shape { get; init; }

    /// <summary>z_T, flat, C order.</summary>
    public required float[] Latent { get; init; }

    /// <summary>One map per denoised step for stochastic samplers; none for DDIM.</summary>
    public required NoiseMaps NoiseMaps { get; init; }

    public string Scheduler => Parameters.Scheduler ?? throw new InvalidOperationException("the scheduler is not recorded");
    public int Width => Parameters.Width ?? throw new InvalidOperationException("the width is not recorded");
    public int Height => Parameters.Height ?? throw new InvalidOperationException("the height is not recorded");

    /// <summary>Steps a denoising run takes (and the inversion took).</summary>
    public int StepCount => Timesteps.Count - StartIndex;

    /// <summary>The timesteps a denoising run visits, descending.</summary>
    public IEnumerable<int> DenoisedTimesteps => Timesteps.Skip(StartIndex);

    /// <summary>
    /// Checks that the parts agree with each other (for an inversion read back from storage); every
    /// problem is a one-line <see cref="ReNoiseInputException"/>.
    /// </summary>
    public void Validate()
    {
        if (Parameters.Scheduler is not { } name || !SchedulerNames.TryNormalize(name, out _))
            throw new ReNoiseInputException($"the inversion names no known scheduler ('{Parameters.Scheduler}')");
        if (Parameters.Width is not > 0 || Parameters.Height is not > 0)
            throw new ReNoiseInputException("the inversion records no working size");
        if (Timesteps.Count == 0 || StartIndex < 0 || StartIndex >= Timesteps.Count)
            throw new ReNoiseInputException($"the inversion's start index {StartIndex} is outside its {Timesteps.Count} timesteps");
        if (Timesteps.Count != Parameters.InversionSteps)
            throw new ReNoiseInputException($"the inversion has {Timesteps.Count} timesteps but {Parameters.InversionSteps} steps");
        if (Shape.Channels <= 0 || Shape.Height <= 0 || Shape.Width <= 0 || Latent.Length != Shape.Length)
            throw new ReNoiseInputException($"the latent holds {Latent.Length} values, its shape {Shape} needs {Shape.Length}");
        if (NoiseMaps.Shape != Shape)
            throw new ReNoiseInputException($"the noise maps have shape {NoiseMaps.Shape}, the latent {Shape}");
        bool stochastic = SchedulerNames.IsStochastic(name);
        if (stochastic && NoiseMaps.Count != StepCount)
            throw new ReNoiseInputException($"{name} needs {StepCount} noise maps, the inversion has {NoiseMaps.Count}");
        if (!stochastic && NoiseMaps.Count != 0)
            throw new ReNoiseInputException($"{name} takes no noise maps, the inversion has {NoiseMaps.Count}");
    }
}
