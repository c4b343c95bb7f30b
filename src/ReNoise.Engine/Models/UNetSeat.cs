using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Models;

/// <summary>
/// The UNet as one job's loop calls it: straight to the session, or through the model's cross-job
/// batcher (<see cref="UNetBatcher"/>) when the model batches. Dispose it when the loop ends.
/// </summary>
internal sealed class UNetSeat(UNetBatcher.Seat? seat, INoisePredictor direct, double? lcmGuidanceScale) : INoisePredictor, IDisposable
{
    /// <summary>The LCM guidance scale fed as <c>timestep_cond</c>; null when the UNet takes none.</summary>
    public double? LcmGuidanceScale { get; } = lcmGuidanceScale;

    /// <summary>True when the calls are batched with other jobs'.</summary>
    public bool Batched => seat is not null;

    public void Predict(ReadOnlySpan<float> samples, LatentShape shape, int timestep,
        ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output)
    {
        if (seat is not null) seat.Predict(samples, shape, timestep, conditioning, output);
        else direct.Predict(samples, shape, timestep, conditioning, output);
    }

    public void Dispose() => seat?.Dispose();
}
