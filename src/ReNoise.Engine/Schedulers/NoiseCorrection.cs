using System.Numerics.Tensors;

namespace ReNoise.Engine.Schedulers;

/// <summary>How the stored per-step noise maps are corrected after each inversion step (spec §4).</summary>
public enum NoiseCorrectionMode
{
    /// <summary>Keep the Gaussian draws as they are.</summary>
    Off,

    /// <summary>The reference's 10 normalized gradient steps of size 1.8 towards the required noise.</summary>
    Reference,

    /// <summary>Replace the noise map by the required noise: sampling then retraces the inversion exactly.</summary>
    Exact,
}

/// <summary>
/// Noise correction for stochastic schedulers (spec §4): after step <c>index</c> of the inversion has
/// chosen z_{t+1} (= x), with e* = eps(z_{t+1}, t), find the noise n_req for which the forward
/// step from x lands exactly on z_t (= xNext), and move the stored noise map towards it.
/// </summary>
internal static class NoiseCorrection
{
    /// <summary>Gradient steps the reference takes on ||n - n_req||.</summary>
    public const int ReferenceIterations = 10;

    /// <summary>The reference's step size on the normalized gradient (n - n_req) / ||n - n_req||.</summary>
    public const double ReferenceStepSize = 1.8;

    /// <summary>
    /// Corrects <paramref name="noise"/> (the stored map of step <paramref name="index"/>, in/out).
    /// <paramref name="scratch"/> needs at least the latent's length (Reference mode only).
    /// Returns false, leaving the map untouched, when the mode is Off or the step adds no noise.
    /// Allocates nothing.
    /// </summary>
    public static bool Apply(NoiseCorrectionMode mode, IScheduler scheduler, int index,
        ReadOnlySpan<float> x, ReadOnlySpan<float> eps, ReadOnlySpan<float> xNext,
        Span<float> noise, Span<float> scratch)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        if (mode == NoiseCorrectionMode.Off || !scheduler.StepUsesNoise(index)) return false;
        switch (mode)
        {
            case NoiseCorrectionMode.Exact:
                scheduler.RequiredNoise(x, eps, xNext, index, noise);
                return true;
            case NoiseCorrectionMode.Reference:
                if (scratch.Length < noise.Length)
                    throw new ArgumentException($"scratch holds {scratch.Length} values, the noise map {noise.Length}");
                var required = scratch[..noise.Length];
                scheduler.RequiredNoise(x, eps, xNext, index, required);
                MoveTowards(noise, required);
                return true;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown noise correction mode");
        }
    }

    /// <summary>
    /// The reference's update, <see cref="ReferenceIterations"/> times:
    /// n &lt;- n - 1.8 * (n - target) / ||n - target|| (L2 norm over the whole map), i.e. gradient
    /// descent on the norm itself. Each step moves n by 1.8 along the line to the target, so a map
    /// farther than 18 ends 18 closer; a nearer one overshoots and oscillates, as in the reference.
    /// Stops when n equals the target (the gradient is undefined there).
    /// </summary>
    public static void MoveTowards(Span<float> noise, ReadOnlySpan<float> target)
    {
        if (noise.Length != target.Length)
            throw new ArgumentException($"noise ({noise.Length}) and target ({target.Length}) differ in length");
        for (int iteration = 0; iteration < ReferenceIterations; iteration++)
        {
            float distance = TensorPrimitives.Distance<float>(noise, target);
            if (!(distance > 0f)) return;
            // n - s (n - target) / d  ==  lerp(n, target, s / d)
            TensorPrimitives.Lerp(noise, target, (float)(ReferenceStepSize / distance), noise);
        }
    }
}
