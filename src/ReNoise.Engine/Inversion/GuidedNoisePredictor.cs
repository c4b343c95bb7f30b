using System.Numerics.Tensors;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>
/// eps(x, t) as the loop of spec §5 uses it: scales the latent for the UNet, batches the
/// unconditional and conditional halves when classifier-free guidance is on (scale &gt; 1),
/// combines them, converts v-predictions to epsilon, and counts model calls (NFE).
/// All buffers are allocated once, so a prediction allocates nothing on the engine side. They come
/// from <see cref="LatentPool"/> (at 512 px each is 128 KB, a large-object allocation per inversion
/// and per reconstruction otherwise); dispose the predictor to return them.
/// </summary>
internal sealed class GuidedNoisePredictor : IDisposable
{
    private readonly IScheduler _scheduler;
    private readonly INoisePredictor _unet;
    private readonly LatentShape _shape;
    private readonly float _guidance;
    private readonly bool _guided;
    private readonly PromptEmbeddings[] _single;
    private readonly PromptEmbeddings[] _pair;
    private float[] _input;
    private float[] _output;

    /// <param name="negative">The unconditional (or negative) prompt; required when guidance &gt; 1.</param>
    public GuidedNoisePredictor(IScheduler scheduler, INoisePredictor unet, LatentShape shape,
        PromptEmbeddings prompt, PromptEmbeddings? negative, double guidance)
    {
        _scheduler = scheduler;
        _unet = unet;
        _shape = shape;
        _guidance = (float)guidance;
        _guided = guidance > 1.0;
        if (_guided && negative is null) throw new ArgumentException("guidance > 1 needs a negative prompt", nameof(negative));
        // One latent takes one batch slot unguided, two (negative, prompt) guided; a pair doubles that.
        _single = _guided ? [negative!, prompt] : [prompt];
        _pair = _guided ? [negative!, prompt, negative!, prompt] : [prompt, prompt];
        // Pooled buffers hold stale values: every slot a call uses is written before the model reads it.
        _input = LatentPool.Rent(_pair.Length * shape.Length);
        _output = LatentPool.Rent(_pair.Length * shape.Length);
    }

    /// <summary>Returns the buffers to the pool; the predictor must not be used afterwards.</summary>
    public void Dispose()
    {
        LatentPool.Return(_input);
        LatentPool.Return(_output);
        _input = _output = [];
    }

    /// <summary>Model evaluations so far; a batched call counts once.</summary>
    public int Nfe { get; private set; }

    /// <summary>One model call: eps at x for step <paramref name="index"/>.</summary>
    public void Predict(ReadOnlySpan<float> x, int index, Span<float> eps)
    {
        int slots = _single.Length;
        ScaleInto(x, index, 0, slots);
        Run(index, _single);
        Combine(0, index, eps);
    }

    /// <summary>One batched model call evaluating two latents at the same step.</summary>
    public void PredictPair(ReadOnlySpan<float> x1, ReadOnlySpan<float> x2, int index, Span<float> eps1, Span<float> eps2)
    {
        int slots = _single.Length;
        ScaleInto(x1, index, 0, slots);
        ScaleInto(x2, index, slots, slots);
        Run(index, _pair);
        Combine(0, index, eps1);
        Combine(slots, index, eps2);
    }

    private void ScaleInto(ReadOnlySpan<float> x, int index, int firstSlot, int slots)
    {
        int n = _shape.Length;
        float scale = _scheduler.ModelInputScale(index);
        for (int s = 0; s < slots; s++)
            TensorPrimitives.Multiply(x, scale, _input.AsSpan((firstSlot + s) * n, n));
    }

    private void Run(int index, PromptEmbeddings[] conditioning)
    {
        int count = conditioning.Length * _shape.Length;
        _unet.Predict(_input.AsSpan(0, count), _shape, _scheduler.Timesteps[index], conditioning, _output.AsSpan(0, count));
        Nfe++;
    }

    private void Combine(int firstSlot, int index, Span<float> eps)
    {
        int n = _shape.Length;
        if (_guided)
        {
            // e = e_u + g (e_c - e_u)
            ReadOnlySpan<float> uncond = _output.AsSpan(firstSlot * n, n);
            ReadOnlySpan<float> cond = _output.AsSpan((firstSlot + 1) * n, n);
            TensorPrimitives.Subtract(cond, uncond, eps);
            TensorPrimitives.MultiplyAdd(eps, _guidance, uncond, eps);
        }
        else
        {
            _output.AsSpan(firstSlot * n, n).CopyTo(eps);
        }
        // Guidance is affine, so converting v after combining equals combining converted halves.
        _scheduler.ToEpsilon(eps, _input.AsSpan(firstSlot * n, n), index);
    }
}
