namespace ReNoise.Engine.Schedulers;

/// <summary>
/// A diffusion sampler built from a model's scheduler_config.json and a step count. Knows nothing
/// of models. Every method takes the step <c>index</c>: the position in the descending
/// <see cref="Timesteps"/> list (never a lookup by timestep value). Step <c>index</c> denoises from
/// the latent at <c>Timesteps[index]</c> ("x", higher noise) to the next one ("xNext", lower noise,
/// the clean latent after the last step). All spans hold one latent, flat, same length.
/// </summary>
internal interface IScheduler
{
    /// <summary>CLI name: "ddim", "euler-ancestral" or "lcm".</summary>
    string Name { get; }

    /// <summary>Inference timesteps in sampling (descending) order.</summary>
    IReadOnlyList<int> Timesteps { get; }

    /// <summary>True when forward steps consume a per-step noise map (Euler ancestral, LCM).</summary>
    bool IsStochastic { get; }

    /// <summary>The scheduler's configuration (betas, prediction type, spacing...).</summary>
    SchedulerConfig Config { get; }

    /// <summary>alphas_cumprod table (float64, length num_train_timesteps).</summary>
    IReadOnlyList<double> AlphasCumprod { get; }

    /// <summary>Factor applied to x to obtain the UNet input at step index (diffusers' scale_model_input).</summary>
    float ModelInputScale(int index);

    /// <summary>Whether forward step <paramref name="index"/> adds noise (s_up &gt; 0; not LCM's last step).</summary>
    bool StepUsesNoise(int index);

    /// <summary>
    /// Turns the raw UNet output into an epsilon prediction in place (identity for "epsilon",
    /// eps = sqrt(a_t) v + sqrt(1-a_t) x_t for "v_prediction"). <paramref name="modelInput"/> is the
    /// scaled sample the UNet saw.
    /// </summary>
    void ToEpsilon(Span<float> modelOutput, ReadOnlySpan<float> modelInput, int index);

    /// <summary>Forward (denoising) step: xNext from x. <paramref name="noise"/> may be empty when unused.</summary>
    void Step(ReadOnlySpan<float> x, ReadOnlySpan<float> eps, ReadOnlySpan<float> noise, int index, Span<float> xNext);

    /// <summary>Inverse step: x from the known xNext, given eps (predicted at x) and the step's noise map.</summary>
    void InverseStep(ReadOnlySpan<float> xNext, ReadOnlySpan<float> eps, ReadOnlySpan<float> noise, int index, Span<float> x);

    /// <summary>Clean latent z0 noised to the noise level of Timesteps[index].</summary>
    void AddNoise(ReadOnlySpan<float> z0, ReadOnlySpan<float> noise, int index, Span<float> result);

    /// <summary>
    /// The noise map that makes <see cref="Step"/> from x (with eps) land exactly on xNext
    /// (spec §4, noise correction). Only meaningful when <see cref="StepUsesNoise"/> is true.
    /// </summary>
    void RequiredNoise(ReadOnlySpan<float> x, ReadOnlySpan<float> eps, ReadOnlySpan<float> xNext, int index, Span<float> noise);
}
