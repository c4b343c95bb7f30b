using System.Numerics.Tensors;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>
/// Where the inverter is, reported after every model call, and once more when a step is complete
/// (then with <see cref="StepLatent"/>, the latent the step reached).
/// </summary>
/// <param name="Step">1-based inversion step (lowest noise first).</param>
/// <param name="StepCount">Steps inverted.</param>
/// <param name="Iteration">Renoise iteration of the step, 0..Iterations (the correction call reports Iterations + 1).</param>
/// <param name="Iterations">R_t of the step.</param>
/// <param name="Nfe">Model calls so far.</param>
/// <param name="Timestep">The timestep being inverted to.</param>
public readonly record struct InversionProgress(int Step, int StepCount, int Iteration, int Iterations, int Nfe, int Timestep)
{
    /// <summary>
    /// The latent step <see cref="Step"/> reached, on the report that completes the step (e.g. for a
    /// live preview; read it during the call, do not keep or change it); empty on the others.
    /// </summary>
    public ReadOnlyMemory<float> StepLatent { get; init; }

    public bool StepCompleted => !StepLatent.IsEmpty;
}

/// <summary>What one inversion needs besides the model and the scheduler.</summary>
internal sealed class InversionInputs
{
    /// <summary>z0: the encoded image latent, scaled.</summary>
    public required float[] CleanLatent { get; init; }

    /// <summary>n_f: the forward-noise draw of this inversion (KL target for SDXL pipelines).</summary>
    public required float[] ForwardNoise { get; init; }

    /// <summary>
    /// One noise map per inverted step in sampling order (map k belongs to step index StartIndex + k);
    /// none for deterministic schedulers. Noise correction updates them in place.
    /// </summary>
    public required NoiseMaps StepNoise { get; init; }

    public required PromptEmbeddings Prompt { get; init; }

    /// <summary>Unconditional embeddings, used when the inversion guidance is above 1.</summary>
    public PromptEmbeddings? Negative { get; init; }

    /// <summary>
    /// True: the KL target is predicted at add_noise(z0, n_f, t) (SDXL pipelines);
    /// false: at z0 itself (the reference's SD 1.x/2.x pipelines replace add_noise by the identity).
    /// </summary>
    public bool ForwardNoisedKlTarget { get; init; }

    /// <summary>First step index of the descending schedule that is inverted (from the strength).</summary>
    public int StartIndex { get; init; }
}

/// <summary>The inversion's result: the inverted latent, its path and its per-step noise.</summary>
internal sealed class InversionTrace
{
    public required float[] Latent { get; init; }

    /// <summary>z0, then the latent after each inversion step (K + 1 entries, lowest noise first).</summary>
    public required IReadOnlyList<float[]> Trajectory { get; init; }

    /// <summary>The (corrected) noise maps, sampling order; the same maps as <see cref="InversionInputs.StepNoise"/>.</summary>
    public required NoiseMaps NoiseMaps { get; init; }

    /// <summary>
    /// Per inversion step (lowest noise first): the fixed-point residual of each renoise iteration
    /// k = 1..R_t, ||z^(k) - z^(k-1)|| / ||z^(k)|| for the plain iteration (see
    /// <see cref="InversionParameters.RenoiseTolerance"/>). Shorter than R_t when a step stopped early.
    /// </summary>
    public required IReadOnlyList<float[]> Residuals { get; init; }

    /// <summary>Timestep of each inversion step, lowest noise first.</summary>
    public required IReadOnlyList<int> InvertedTimesteps { get; init; }

    public required int Nfe { get; init; }

    /// <summary>Model calls the adaptive tolerance saved against running every R_t iteration.</summary>
    public int NfeSaved { get; init; }
}

/// <summary>
/// The ReNoise loop of spec §5: for each timestep of the ascending schedule, iterate the noise
/// prediction at the current guess (renoising), average a window of predictions, regularize them,
/// and for stochastic samplers correct the step's noise map. Also runs the sampler forward
/// (spec §9) for reconstruction and editing.
/// </summary>
internal sealed class ReNoiseInverter
{
    private readonly IScheduler _scheduler;
    private readonly INoisePredictor _unet;
    private readonly LatentShape _shape;
    private readonly InversionParameters _options;

    public ReNoiseInverter(IScheduler scheduler, INoisePredictor unet, LatentShape shape, InversionParameters options)
    {
        // The loop checks the domain only; the cost limits are the plan's (a front end's) concern.
        options.EnsureValid(withLimits: false);
        _scheduler = scheduler;
        _unet = unet;
        _shape = shape;
        _options = options;
    }

    public InversionTrace Invert(InversionInputs inputs, Action<InversionProgress>? progress = null, CancellationToken cancellation = default)
    {
        int n = _shape.Length;
        int stepCount = _scheduler.Timesteps.Count - inputs.StartIndex;
        if (inputs.CleanLatent.Length != n) throw new ArgumentException("z0 does not match the latent shape");
        if (_scheduler.IsStochastic && (inputs.StepNoise.Count != stepCount || inputs.StepNoise.Shape != _shape))
            throw new ArgumentException($"{stepCount} step noise maps of shape {_shape} are needed, got {inputs.StepNoise.Count} of {inputs.StepNoise.Shape}");

        using var eps = new GuidedNoisePredictor(_scheduler, _unet, _shape, inputs.Prompt, inputs.Negative, _options.InversionGuidance);
        var regularizer = _options.RegularizationSteps > 0
            ? new NoiseRegularizer(new RegularizationOptions(_options.LambdaAc, _options.LambdaKl, _options.RegularizationSteps, _options.AcRolls),
                _shape, new SeededRandom(_options.Seed))
            : null;
        using var step = new StepBuffers(n,
            _options.RenoiseTolerance > 0 ? MaxAveragedCount(inputs.StartIndex) : 0,
            _options.RenoiseAcceleration == RenoiseAcceleration.Anderson ? _options.AndersonDepth : 0);
        var trajectory = new List<float[]>(stepCount + 1) { (float[])inputs.CleanLatent.Clone() };
        var residuals = new List<float[]>(stepCount);
        var timesteps = new List<int>(stepCount);
        int nfeSaved = 0;

        // Ascending: the lowest-noise step (last index of the descending schedule) first.
        float[] zt = trajectory[0];
        for (int index = _scheduler.Timesteps.Count - 1, stepNumber = 1; index >= inputs.StartIndex; index--, stepNumber++)
        {
            Span<float> noise = _scheduler.IsStochastic ? inputs.StepNoise[index - inputs.StartIndex] : Span<float>.Empty;
            var report = new ProgressReporter(progress, stepNumber, stepCount, _scheduler.Timesteps[index],
                _options.RenoiseStepsFor(_scheduler.Timesteps[index]), eps);
            float[] next = new float[n];
            float[] stepResiduals = InvertStep(index, zt, noise, inputs, eps, regularizer, step, next, report, cancellation);
            residuals.Add(stepResiduals);
            nfeSaved += _options.RenoiseStepsFor(_scheduler.Timesteps[index]) - stepResiduals.Length;
            timesteps.Add(_scheduler.Timesteps[index]);
            trajectory.Add(next);
            report.StepCompleted(next);
            zt = next;
        }

        return new InversionTrace
        {
            Latent = zt,
            Trajectory = trajectory,
            NoiseMaps = inputs.StepNoise,
            Residuals = residuals,
            InvertedTimesteps = timesteps,
            Nfe = eps.Nfe,
            NfeSaved = nfeSaved,
        };
    }

    /// <summary>The largest averaging window L over the inverted steps (sizes the adaptive ring).</summary>
    private int MaxAveragedCount(int startIndex)
    {
        int max = 0;
        for (int index = startIndex; index < _scheduler.Timesteps.Count; index++)
            max = Math.Max(max, _options.AveragedCountFor(_scheduler.Timesteps[index]));
        return max;
    }

    /// <summary>
    /// One inversion step (spec §5): from the known z_t to z_{t+1} at step <paramref name="index"/>.
    /// Returns the fixed-point residual of each renoise iteration run (fewer than R_t when the
    /// adaptive tolerance stops the step early).
    /// </summary>
    /// <remarks>
    /// Iteration i evaluates eps at the iterate x_i (x_0 = z_t) and maps it to
    /// G(x_i) = InverseStep(z_t, e_i). The plain iteration takes x_{i+1} = G(x_i), which is the
    /// spec's loop; Anderson acceleration mixes the last G values instead (until the in-loop
    /// regularization starts). Residual i (i &gt;= 1) is
    /// ||G(x_i) - x_i|| / ||G(x_i)||, for the plain iteration the relative change of the iterate.
    /// With a tolerance, the step stops after the first iteration k whose residual is below it.
    /// The averaging window [lo, hi') with hi' = min(hi, R_t + 1), of length L = hi' - lo, is then
    /// the nominal one when it was complete by k (hi' &lt;= k + 1), and otherwise shifted to end at
    /// k: the predictions of iterations max(0, k + 1 - L) .. k, the last L made, are averaged.
    /// </remarks>
    private float[] InvertStep(int index, ReadOnlySpan<float> zt, Span<float> noise, InversionInputs inputs,
        GuidedNoisePredictor eps, NoiseRegularizer? regularizer, StepBuffers b, Span<float> zNext,
        ProgressReporter report, CancellationToken cancellation)
    {
        int t = _scheduler.Timesteps[index];
        AveragingWindow window = _options.WindowFor(t);
        int renoiseSteps = _options.RenoiseStepsFor(t);
        float tolerance = (float)_options.RenoiseTolerance;
        bool adaptive = tolerance > 0;
        var residuals = new float[renoiseSteps];
        int iterationsRun = renoiseSteps;

        if (regularizer is not null)
        {
            if (inputs.ForwardNoisedKlTarget) _scheduler.AddNoise(inputs.CleanLatent, inputs.ForwardNoise, index, b.ForwardNoised);
            else inputs.CleanLatent.CopyTo(b.ForwardNoised, 0);
        }

        // Anderson mixes only while G is deterministic. Once the in-loop prediction is regularized
        // (the AC term draws random shifts, so G is noisy and no longer the map whose fixed point is
        // sought) the step iterates plainly, exactly as the spec's loop.
        int regularizedFrom = _options.Averaging ? window.Start : Math.Min(window.Start, 1);
        b.Anderson?.Reset();
        b.Recent?.Clear(_options.AveragedCountFor(t));

        zt.CopyTo(b.Guess);
        int averaged = 0;
        for (int i = 0; i <= renoiseSteps; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            if (regularizer is not null && i == 0)
                eps.PredictPair(b.ForwardNoised, b.Guess, index, b.OptimalEps, b.Eps); // e_opt and e, one batched call
            else
                eps.Predict(b.Guess, index, b.Eps);

            // Averaged before regularization. Adaptive steps do not know yet where they stop, so
            // they keep the last L predictions made before the window's end; otherwise the window
            // is fixed and a running mean suffices.
            if (b.Recent is not null) { if (i < window.End) b.Recent.Push(b.Eps); }
            else if (window.Contains(i)) RunningMean(b.Average, b.Eps, averaged++);
            if (i >= window.Start || (!_options.Averaging && i > 0))
                regularizer?.Regularize(b.Eps, b.OptimalEps);

            float residual;
            if (b.Anderson is null || (regularizer is not null && i >= regularizedFrom))
            {
                b.Guess.CopyTo(b.Previous, 0);
                _scheduler.InverseStep(zt, b.Eps, noise, index, b.Guess);
                residual = i > 0 ? RelativeChange(b.Guess, b.Previous) : float.NaN;
            }
            else
            {
                _scheduler.InverseStep(zt, b.Eps, noise, index, b.Mapped);
                residual = i > 0 ? RelativeChange(b.Mapped, b.Guess) : float.NaN;
                b.Anderson.Next(b.Guess, b.Mapped);
            }
            if (i > 0) residuals[i - 1] = residual;
            report.Iteration(i, renoiseSteps);
            if (adaptive && i > 0 && residual < tolerance)
            {
                iterationsRun = i;
                break;
            }
        }

        if (b.Recent is not null) averaged = b.Recent.Mean(b.Average);
        if (_options.Averaging && averaged > 0)
        {
            regularizer?.Regularize(b.Average, b.OptimalEps);
            _scheduler.InverseStep(zt, b.Average, noise, index, b.Guess);
        }

        if (_options.NoiseCorrection != NoiseCorrectionMode.Off && _scheduler.IsStochastic)
        {
            // The reference makes this call whenever correction is on (spec §5 counts it at every
            // step), even where the step adds no noise and the map is left as it is.
            cancellation.ThrowIfCancellationRequested();
            eps.Predict(b.Guess, index, b.Eps);
            NoiseCorrection.Apply(_options.NoiseCorrection, _scheduler, index, b.Guess, b.Eps, zt, noise, b.Scratch);
            report.Iteration(renoiseSteps + 1, renoiseSteps);
        }

        if (!TensorPrimitives.IsFiniteAll<float>(b.Guess))
            throw new InversionDivergedException(t, regularized: regularizer is not null);
        b.Guess.CopyTo(zNext);
        return iterationsRun == renoiseSteps ? residuals : residuals[..iterationsRun];
    }

    /// <summary>
    /// Runs the sampler forward (spec §9) from <paramref name="latent"/> over the steps from
    /// <paramref name="startIndex"/> on, reusing the stored noise maps, and returns the final latent.
    /// </summary>
    public float[] Denoise(ReadOnlySpan<float> latent, int startIndex, NoiseMaps noiseMaps,
        PromptEmbeddings prompt, PromptEmbeddings? negative, double guidance,
        Action<int, int>? progress = null, CancellationToken cancellation = default)
    {
        int n = _shape.Length;
        int count = _scheduler.Timesteps.Count;
        if (_scheduler.IsStochastic && (noiseMaps.Count != count - startIndex || noiseMaps.Shape != _shape))
            throw new ArgumentException($"{count - startIndex} noise maps of shape {_shape} are needed, got {noiseMaps.Count} of {noiseMaps.Shape}");
        using var eps = new GuidedNoisePredictor(_scheduler, _unet, _shape, prompt, negative, guidance);
        float[] x = latent.ToArray(), next = new float[n], e = new float[n];
        for (int index = startIndex; index < count; index++)
        {
            cancellation.ThrowIfCancellationRequested();
            eps.Predict(x, index, e);
            ReadOnlySpan<float> noise = _scheduler.IsStochastic ? noiseMaps[index - startIndex] : ReadOnlySpan<float>.Empty;
            _scheduler.Step(x, e, noise, index, next);
            (x, next) = (next, x);
            progress?.Invoke(index - startIndex + 1, count - startIndex);
        }
        return x;
    }

    /// <summary>avg = j/(j+1) avg + e/(j+1) for the j-th averaged prediction (the reference's running mean).</summary>
    private static void RunningMean(Span<float> average, ReadOnlySpan<float> e, int j)
    {
        if (j == 0)
        {
            e.CopyTo(average);
            return;
        }
        TensorPrimitives.Multiply(average, j / (float)(j + 1), average);
        TensorPrimitives.MultiplyAdd(e, 1f / (j + 1), average, average);
    }

    private static float RelativeChange(ReadOnlySpan<float> current, ReadOnlySpan<float> previous)
    {
        float norm = TensorPrimitives.Norm(current);
        return norm > 0 ? TensorPrimitives.Distance(current, previous) / norm : 0f;
    }

    /// <summary>Scratch latents of one step, allocated once per inversion.</summary>
    private sealed class StepBuffers(int n, int recentCapacity, int andersonDepth) : IDisposable
    {
        public readonly float[] Guess = LatentPool.Rent(n);
        public readonly float[] Previous = LatentPool.Rent(n);
        public readonly float[] Eps = LatentPool.Rent(n);
        public readonly float[] OptimalEps = LatentPool.Rent(n);
        public readonly float[] Average = LatentPool.Rent(n);
        public readonly float[] ForwardNoised = LatentPool.Rent(n);
        public readonly float[] Scratch = LatentPool.Rent(n);

        /// <summary>G(x_i) when the next iterate is not simply G(x_i).</summary>
        public readonly float[] Mapped = andersonDepth > 0 ? LatentPool.Rent(n) : [];

        /// <summary>The last predictions (adaptive renoise only).</summary>
        public readonly RecentPredictions? Recent = recentCapacity > 0 ? new RecentPredictions(recentCapacity, n) : null;

        public readonly AndersonMixer? Anderson = andersonDepth > 0 ? new AndersonMixer(andersonDepth, n) : null;

        public void Dispose()
        {
            foreach (var buffer in new[] { Guess, Previous, Eps, OptimalEps, Average, ForwardNoised, Scratch, Mapped })
                LatentPool.Return(buffer);
        }
    }

    /// <summary>A ring of the last L noise predictions of a step, oldest overwritten first.</summary>
    private sealed class RecentPredictions
    {
        private readonly float[][] _slots;
        private int _window;
        private int _count;
        private int _next;

        public RecentPredictions(int capacity, int n)
        {
            _slots = new float[capacity][];
            for (int k = 0; k < capacity; k++) _slots[k] = new float[n];
        }

        /// <summary>Empties the ring and sets how many predictions this step keeps (L; 0 keeps none).</summary>
        public void Clear(int window)
        {
            _window = Math.Min(window, _slots.Length);
            _count = 0;
            _next = 0;
        }

        public void Push(ReadOnlySpan<float> prediction)
        {
            if (_window == 0) return;
            prediction.CopyTo(_slots[_next]);
            _next = (_next + 1) % _window;
            _count = Math.Min(_count + 1, _window);
        }

        /// <summary>Running mean of the kept predictions, oldest first (the same arithmetic as the fixed window); returns how many.</summary>
        public int Mean(Span<float> average)
        {
            int oldest = _count < _window ? 0 : _next;
            for (int j = 0; j < _count; j++) RunningMean(average, _slots[(oldest + j) % _window], j);
            return _count;
        }
    }

    private readonly struct ProgressReporter(Action<InversionProgress>? sink, int step, int stepCount, int timestep, int iterations, GuidedNoisePredictor eps)
    {
        public void Iteration(int iteration, int renoiseSteps) =>
            sink?.Invoke(new InversionProgress(step, stepCount, iteration, renoiseSteps, eps.Nfe, timestep));

        public void StepCompleted(float[] latent) =>
            sink?.Invoke(new InversionProgress(step, stepCount, iterations, iterations, eps.Nfe, timestep) { StepLatent = latent });
    }
}
