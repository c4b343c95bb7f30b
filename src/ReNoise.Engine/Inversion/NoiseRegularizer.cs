using System.Numerics.Tensors;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>
/// Noise regularization of a noise prediction (spec §8), in place:
/// <code>
/// repeat Steps times:
///     if lambda_kl > 0:  e -= lambda_kl * clip(dL_kl(e, e_opt)/de, -100, 100)
///     if lambda_ac > 0:  repeat AcRolls times:  e -= lambda_ac * dL_ac(e)/de / AcRolls
/// </code>
/// Every AC roll draws fresh shifts from the run's <see cref="SeededRandom"/> and differentiates
/// at the current e. Built once per inversion: all scratch is allocated here, so
/// <see cref="Regularize"/> allocates nothing.
/// </summary>
internal sealed class NoiseRegularizer
{
    /// <summary>The reference clips the KL gradient to [-ClipLimit, ClipLimit] before stepping.</summary>
    public const float ClipLimit = 100f;

    private readonly SeededRandom _random;
    private readonly bool _useKl;
    private readonly bool _useAc;
    private readonly float[] _gradient;
    private readonly int[] _shifts;
    private readonly float[] _acScratch;
    private readonly double[] _targetStatistics;

    public NoiseRegularizer(RegularizationOptions options, LatentShape shape, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        Options = options;
        Shape = shape;
        _random = random;

        bool active = options.Steps > 0;
        _useKl = active && options.LambdaKl > 0;
        _useAc = active && options.LambdaAc > 0 && options.AcRolls > 0;

        // Fail at construction, not in the middle of an inversion.
        if (_useKl && shape.Channels != PatchKlLoss.Channels)
            throw new ArgumentException($"patch-KL regularization needs a {PatchKlLoss.Channels}-channel latent, got shape {shape}.", nameof(shape));

        _gradient = _useKl ? new float[shape.Length] : [];
        _shifts = _useAc ? new int[PairwiseCorrelationLoss.ShiftCount(shape)] : [];
        _acScratch = _useAc ? new float[PairwiseCorrelationLoss.ScratchLength(shape)] : [];
        _targetStatistics = _useKl ? new double[PatchKlLoss.StatisticsLength(shape)] : [];
    }

    public RegularizationOptions Options { get; }

    public LatentShape Shape { get; }

    /// <summary>
    /// Regularizes <paramref name="e"/> in place. <paramref name="eOpt"/> (the prediction at the
    /// forward-noised latent) is needed only when the KL term is on; it may be empty otherwise.
    /// </summary>
    public void Regularize(Span<float> e, ReadOnlySpan<float> eOpt)
    {
        if (e.Length != Shape.Length)
            throw new ArgumentException($"e has {e.Length} elements, shape {Shape} needs {Shape.Length}.", nameof(e));
        if (_useKl)
        {
            if (eOpt.IsEmpty)
                throw new ArgumentException("patch-KL regularization needs e_opt, got an empty span.", nameof(eOpt));
            if (eOpt.Length != Shape.Length)
                throw new ArgumentException($"e_opt has {eOpt.Length} elements, shape {Shape} needs {Shape.Length}.", nameof(eOpt));
        }
        if (!_useKl && !_useAc) return;

        Span<float> gradient = _gradient;
        // e_opt stays fixed while e moves: its tile statistics serve every KL step of this call.
        if (_useKl) PatchKlLoss.TargetStatistics(eOpt, Shape, _targetStatistics);
        float klStep = -(float)Options.LambdaKl;
        float acStep = -(float)(Options.LambdaAc / Options.AcRolls);
        for (int step = 0; step < Options.Steps; step++)
        {
            if (_useKl)
            {
                PatchKlLoss.Gradient(e, _targetStatistics, Shape, gradient);
                TensorPrimitives.Clamp(gradient, -ClipLimit, ClipLimit, gradient);
                TensorPrimitives.MultiplyAdd(gradient, klStep, e, e);
            }
            if (_useAc)
            {
                for (int roll = 0; roll < Options.AcRolls; roll++)
                {
                    PairwiseCorrelationLoss.DrawShifts(Shape, _random, _shifts);
                    // The same values as writing the gradient and adding it times the step, without the
                    // full-size gradient written and read back.
                    PairwiseCorrelationLoss.Step(e, Shape, _shifts, acStep, _acScratch);
                }
            }
        }
    }
}
