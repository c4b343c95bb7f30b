using System.Collections.ObjectModel;
using System.Numerics.Tensors;

namespace ReNoise.Engine.Schedulers;

/// <summary>
/// Per-step scalars (float64) of a scheduler whose steps are all affine in (x, eps, noise):
/// forward <c>xNext = StepX * x + StepEps * eps + StepNoise * n</c>,
/// inverse <c>x = InverseX * xNext + InverseEps * eps + InverseNoise * n</c>,
/// <c>AddNoise = AddNoiseSample * z0 + AddNoiseNoise * n</c>. DDIM, Euler ancestral and LCM all are.
/// </summary>
internal readonly record struct StepCoefficients(
    double StepX, double StepEps, double StepNoise,
    double InverseX, double InverseEps, double InverseNoise,
    double ModelInputScale, double AddNoiseSample, double AddNoiseNoise);

/// <summary>
/// The shared machinery of the three schedulers: tables, timesteps and the span arithmetic. A
/// subclass only derives the <see cref="StepCoefficients"/> of each step from the spec's formulas
/// (in float64, once, at construction); Step / InverseStep / RequiredNoise / AddNoise / ToEpsilon
/// are then two or three TensorPrimitives passes each and allocate nothing.
/// Aliasing: the destination may be the same span as the primary input (x for Step and
/// RequiredNoise, xNext for InverseStep, z0 for AddNoise, modelOutput for ToEpsilon), never eps
/// or noise.
/// </summary>
internal abstract class DiffusionScheduler : IScheduler
{
    private readonly int[] _timesteps;
    private readonly double[] _betas;
    private readonly double[] _alphasCumprod;
    private readonly StepCoefficients[] _coefficients;

    // Float copies of the coefficients, read in the hot methods.
    private readonly float[] _stepX, _stepEps, _stepNoise;
    private readonly float[] _inverseX, _inverseEps, _inverseNoise;
    private readonly float[] _requiredXNext, _requiredX, _requiredEps;
    private readonly float[] _modelInputScale, _addNoiseSample, _addNoiseNoise;
    private readonly float[] _sqrtAlpha, _sqrtOneMinusAlpha;

    protected DiffusionScheduler(SchedulerConfig config, int[] timesteps)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        _betas = NoiseSchedule.Betas(config);
        _alphasCumprod = NoiseSchedule.AlphasCumprod(_betas);
        foreach (int t in timesteps)
            if (t < 0 || t >= _alphasCumprod.Length)
                throw new ArgumentOutOfRangeException(nameof(timesteps), t, "timestep outside the training range");
        _timesteps = timesteps;
        Timesteps = Array.AsReadOnly(_timesteps);
        AlphasCumprod = Array.AsReadOnly(_alphasCumprod);
        Betas = Array.AsReadOnly(_betas);

        int n = timesteps.Length;
        _coefficients = new StepCoefficients[n];
        _stepX = new float[n]; _stepEps = new float[n]; _stepNoise = new float[n];
        _inverseX = new float[n]; _inverseEps = new float[n]; _inverseNoise = new float[n];
        _requiredXNext = new float[n]; _requiredX = new float[n]; _requiredEps = new float[n];
        _modelInputScale = new float[n]; _addNoiseSample = new float[n]; _addNoiseNoise = new float[n];
        _sqrtAlpha = new float[n]; _sqrtOneMinusAlpha = new float[n];
        for (int i = 0; i < n; i++)
        {
            double a = _alphasCumprod[timesteps[i]];
            _sqrtAlpha[i] = (float)Math.Sqrt(a);
            _sqrtOneMinusAlpha[i] = (float)Math.Sqrt(1.0 - a);
        }
    }

    public abstract string Name { get; }
    public abstract bool IsStochastic { get; }
    public SchedulerConfig Config { get; }
    public IReadOnlyList<int> Timesteps { get; }
    public IReadOnlyList<double> AlphasCumprod { get; }
    public IReadOnlyList<double> Betas { get; }

    /// <summary>The float64 scalars of step <paramref name="index"/>.</summary>
    public StepCoefficients Coefficients(int index)
    {
        CheckIndex(index);
        return _coefficients[index];
    }

    /// <summary>Subclass constructors call this once per step index.</summary>
    protected void SetCoefficients(int index, in StepCoefficients c)
    {
        _coefficients[index] = c;
        _stepX[index] = (float)c.StepX;
        _stepEps[index] = (float)c.StepEps;
        _stepNoise[index] = (float)c.StepNoise;
        _inverseX[index] = (float)c.InverseX;
        _inverseEps[index] = (float)c.InverseEps;
        _inverseNoise[index] = (float)c.InverseNoise;
        if (c.StepNoise != 0)
        {
            // n = (xNext - StepX x - StepEps eps) / StepNoise
            _requiredXNext[index] = (float)(1.0 / c.StepNoise);
            _requiredX[index] = (float)(-c.StepX / c.StepNoise);
            _requiredEps[index] = (float)(-c.StepEps / c.StepNoise);
        }
        _modelInputScale[index] = (float)c.ModelInputScale;
        _addNoiseSample[index] = (float)c.AddNoiseSample;
        _addNoiseNoise[index] = (float)c.AddNoiseNoise;
    }

    public float ModelInputScale(int index)
    {
        CheckIndex(index);
        return _modelInputScale[index];
    }

    public bool StepUsesNoise(int index)
    {
        CheckIndex(index);
        return _coefficients[index].StepNoise > 0;
    }

    public void ToEpsilon(Span<float> modelOutput, ReadOnlySpan<float> modelInput, int index)
    {
        CheckIndex(index);
        if (Config.PredictionType == PredictionType.Epsilon) return;
        CheckSameLength(modelInput, modelOutput);
        // eps = sqrt(a_t) v + sqrt(1 - a_t) x_t, x_t the scaled sample the UNet saw.
        TensorPrimitives.Multiply(modelOutput, _sqrtAlpha[index], modelOutput);
        TensorPrimitives.MultiplyAdd(modelInput, _sqrtOneMinusAlpha[index], modelOutput, modelOutput);
    }

    public void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> eps, ReadOnlySpan<float> noise, int index, Span<float> xNext)
    {
        CheckIndex(index);
        Combine(x, _stepX[index], eps, _stepEps[index], noise, _stepNoise[index], xNext);
    }

    public void InverseStep(ReadOnlySpan<float> xNext, ReadOnlySpan<float> eps, ReadOnlySpan<float> noise, int index, Span<float> x)
    {
        CheckIndex(index);
        Combine(xNext, _inverseX[index], eps, _inverseEps[index], noise, _inverseNoise[index], x);
    }

    public void AddNoise(ReadOnlySpan<float> z0, ReadOnlySpan<float> noise, int index, Span<float> result)
    {
        CheckIndex(index);
        CheckSameLength(z0, noise);
        CheckDestination(z0, result, noise, default);
        TensorPrimitives.Multiply(z0, _addNoiseSample[index], result);
        TensorPrimitives.MultiplyAdd(noise, _addNoiseNoise[index], result, result);
    }

    public void RequiredNoise(ReadOnlySpan<float> x, ReadOnlySpan<float> eps, ReadOnlySpan<float> xNext, int index, Span<float> noise)
    {
        CheckIndex(index);
        if (_coefficients[index].StepNoise == 0)
            throw new InvalidOperationException($"{Name} step {index} adds no noise; there is no noise map to solve for");
        CheckSameLength(x, eps);
        CheckSameLength(x, xNext);
        // The destination may alias xNext (the first input read), not x or eps.
        CheckDestination(xNext, noise, x, eps);
        TensorPrimitives.Multiply(xNext, _requiredXNext[index], noise);
        TensorPrimitives.MultiplyAdd(x, _requiredX[index], noise, noise);
        TensorPrimitives.MultiplyAdd(eps, _requiredEps[index], noise, noise);
    }

    /// <summary>dest = a * primary + b * eps (+ c * noise when c != 0), primary read first so dest may alias it.</summary>
    private static void Combine(ReadOnlySpan<float> primary, float a, ReadOnlySpan<float> eps, float b,
        ReadOnlySpan<float> noise, float c, Span<float> dest)
    {
        CheckSameLength(primary, eps);
        bool withNoise = c != 0f;
        if (withNoise) CheckSameLength(primary, noise);
        CheckDestination(primary, dest, eps, withNoise ? noise : default);
        TensorPrimitives.Multiply(primary, a, dest);
        TensorPrimitives.MultiplyAdd(eps, b, dest, dest);
        if (withNoise) TensorPrimitives.MultiplyAdd(noise, c, dest, dest);
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)_timesteps.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"step index must be in [0, {_timesteps.Length})");
    }

    private static void CheckSameLength(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"latent spans differ in length ({a.Length} vs {b.Length})");
    }

    private static void CheckDestination(ReadOnlySpan<float> primary, Span<float> dest, ReadOnlySpan<float> other1, ReadOnlySpan<float> other2)
    {
        if (dest.Length != primary.Length)
            throw new ArgumentException($"destination length {dest.Length} differs from the latent length {primary.Length}");
        ReadOnlySpan<float> d = dest;
        if (d.Overlaps(other1) || d.Overlaps(other2))
            throw new ArgumentException("destination must not overlap eps or noise");
    }
}
