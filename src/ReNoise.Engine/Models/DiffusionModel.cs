using ReNoise.Engine.Imaging;
using ReNoise.Engine.Schedulers;
using ReNoise.Engine.Tensors;
using ReNoise.Engine.Text;

namespace ReNoise.Engine.Models;

/// <summary>One (tokenizer, text encoder) pair, built on first use.</summary>
internal sealed class PromptEncoder
{
    private readonly DiffusionModel _owner;
    private readonly Lazy<IPromptTokenizer> _tokenizer;
    private readonly Lazy<TextEncoder> _encoder;

    internal PromptEncoder(DiffusionModel owner, TextEncoderFiles files, Lazy<IPromptTokenizer> tokenizer, Lazy<TextEncoder> encoder)
    {
        _owner = owner;
        Files = files;
        _tokenizer = tokenizer;
        _encoder = encoder;
    }

    public TextEncoderFiles Files { get; }
    public IPromptTokenizer Tokenizer => _owner.Get(_tokenizer);

    /// <summary>The encoder session, created on first access; owned (and disposed) by the model.</summary>
    public TextEncoder Encoder => _owner.Get(_encoder);

    internal bool EncoderCreated => _encoder.IsValueCreated;
    internal Lazy<TextEncoder> LazyEncoder => _encoder;
}

/// <summary>
/// A diffusion model folder ready for inference: tokenizers, text encoders, UNet and VAE as ONNX
/// Runtime sessions (spec §7). Loading validates the folder and resolves the execution provider;
/// each session is created on first use (thread-safe) and released on <see cref="Dispose"/>.
/// </summary>
public sealed class DiffusionModel : IDisposable
{
    private readonly ModelFolder _folder;
    private readonly OnnxSessionFactory _sessions;
    private readonly PromptEncoder[] _promptEncoders;
    private readonly Lazy<UNet> _unet;
    private readonly Lazy<VaeEncoder> _vaeEncoder;
    private readonly Lazy<VaeDecoder> _vaeDecoder;
    private readonly Lazy<SchedulerConfig> _schedulerConfig;
    private readonly Lazy<UNetBatcher>? _batcher;
    private int _disposed;

    private DiffusionModel(ModelFolder folder, OnnxSessionFactory sessions, ModelLoadOptions options)
    {
        _folder = folder;
        _sessions = sessions;
        BatchJobs = options.BatchJobs;
        if (options.BatchJobs > 1)
            _batcher = new Lazy<UNetBatcher>(() => new UNetBatcher(UNet, options.BatchJobs, options.BatchLinger));
        _promptEncoders = folder.TextEncoders
            .Select(files => new PromptEncoder(this, files,
                new Lazy<IPromptTokenizer>(() => CreateTokenizer(files.TokenizerDirectory)),
                new Lazy<TextEncoder>(() => new TextEncoder(Open(files.TextEncoderPath)))))
            .ToArray();
        _unet = new Lazy<UNet>(() => new UNet(Open(folder.UNetPath), folder.VaeScaleFactor, folder.TimeCondProjDim));
        _vaeEncoder = new Lazy<VaeEncoder>(() => new VaeEncoder(Open(folder.VaeEncoderPath), folder.ScalingFactor));
        _vaeDecoder = new Lazy<VaeDecoder>(() => new VaeDecoder(Open(folder.VaeDecoderPath), folder.ScalingFactor));
        _schedulerConfig = new Lazy<SchedulerConfig>(() => SchedulerConfig.Load(folder.SchedulerConfigPath));
    }

    /// <summary>
    /// Opens the model folder at <paramref name="folder"/>. Throws <see cref="ReNoiseInputException"/>
    /// naming the first missing file, or when CUDA is required and unavailable.
    /// </summary>
    public static DiffusionModel Load(string folder, ModelLoadOptions? options = null)
    {
        var layout = ModelFolder.Open(folder);
        options ??= ModelLoadOptions.Default;
        options.Validate();
        return new DiffusionModel(layout, new OnnxSessionFactory(options), options);
    }

    /// <summary>The validated layout and config values.</summary>
    public ModelFolder Layout => _folder;

    public string Folder => _folder.Root;
    public ModelFamily Family => _folder.Family;
    public ModelVariant Variant => _folder.Variant;
    public float ScalingFactor => _folder.ScalingFactor;
    public int DefaultImageSize => _folder.DefaultImageSize;
    internal string SchedulerConfigPath => _folder.SchedulerConfigPath;

    /// <summary>scheduler/scheduler_config.json, read once.</summary>
    internal SchedulerConfig SchedulerConfig => Get(_schedulerConfig);

    /// <summary>The sampler the model's scheduler config names (ddim when it names one the engine does not run).</summary>
    public string DefaultScheduler => _folder.DefaultScheduler;
    public int LatentChannels => _folder.LatentChannels;
    public int VaeScaleFactor => _folder.VaeScaleFactor;

    /// <summary>ONNX Runtime's name of the active execution provider (CPUExecutionProvider, CUDAExecutionProvider).</summary>
    public string ExecutionProvider => _sessions.ActiveProvider;

    /// <summary>Things the user should know but that did not stop loading (e.g. the CUDA fallback).</summary>
    public IReadOnlyList<string> Warnings => _sessions.Warnings;

    /// <summary>The (tokenizer, text encoder) pairs: one for SD 1.x/2.x, two for SDXL.</summary>
    internal IReadOnlyList<PromptEncoder> PromptEncoders => _promptEncoders;

    /// <summary>The noise predictor; its session is created on first access.</summary>
    internal UNet UNet => Get(_unet);

    /// <summary>
    /// True when the UNet takes LCM's guidance-scale embedding (<c>timestep_cond</c>); creates the
    /// UNet session to find out.
    /// </summary>
    internal bool UsesGuidanceEmbedding => UNet.UsesGuidanceEmbedding;

    /// <summary>
    /// The UNet as one job should call it: LCM-distilled UNets get the guidance-scale embedding of
    /// <paramref name="lcmGuidanceScale"/> (of w - 1; null means diffusers' default 8.5), other UNets
    /// are returned as they are. The session is shared between the jobs of this model.
    /// </summary>
    internal INoisePredictor NoisePredictor(double? lcmGuidanceScale = null)
    {
        var unet = UNet;
        return unet.UsesGuidanceEmbedding
            ? unet.WithGuidanceScale(lcmGuidanceScale ?? GuidanceScaleEmbedding.DefaultGuidanceScale)
            : unet;
    }

    /// <summary>Concurrent jobs whose UNet calls are batched together (<see cref="ModelLoadOptions.BatchJobs"/>); 1: none.</summary>
    public int BatchJobs { get; }

    /// <summary>
    /// Batched UNet calls made so far and the batch elements they held (equal when nothing was shared);
    /// zeros when the model does not batch.
    /// </summary>
    public (long Calls, long Elements) BatchStats => _batcher is { IsValueCreated: true } ? _batcher.Value.Stats : (0, 0);

    /// <summary>The cross-job batcher, when <see cref="BatchJobs"/> is above 1.</summary>
    internal UNetBatcher? Batcher => _batcher is null ? null : Get(_batcher);

    /// <summary>
    /// The UNet for one job's loop, as <see cref="NoisePredictor"/> gives it, seated in the cross-job
    /// batcher when the model batches; dispose it when the loop ends so the others stop waiting for it.
    /// </summary>
    internal UNetSeat OpenSeat(double? lcmGuidanceScale)
    {
        var predictor = NoisePredictor(lcmGuidanceScale);
        var conditioned = predictor as GuidanceConditionedUNet;
        ReadOnlyMemory<float> row = conditioned is not null ? conditioned.EmbeddingRow : UNet.DefaultTimestepCondRow;
        return new UNetSeat(Batcher?.Join(predictor, row), predictor, conditioned?.GuidanceScale);
    }

    internal VaeEncoder VaeEncoder => Get(_vaeEncoder);
    internal VaeDecoder VaeDecoder => Get(_vaeDecoder);

    /// <summary>Time spent inside ONNX Runtime's Run across all sessions created so far.</summary>
    public TimeSpan OrtTime
    {
        get
        {
            var total = TimeSpan.Zero;
            foreach (var session in CreatedSessions()) total += session.OrtTime;
            return total;
        }
    }

    /// <summary>The latent a width x height image encodes to.</summary>
    public LatentShape LatentShapeFor(int width, int height)
    {
        CheckImageSize(width, height);
        return new LatentShape(LatentChannels, height / VaeScaleFactor, width / VaeScaleFactor);
    }

    /// <summary>
    /// Prompt tokens of <paramref name="prompt"/> (start and end tokens not counted) and how many the
    /// text encoder reads; more are truncated. Loads the tokenizer only, no ONNX session.
    /// </summary>
    public (int Tokens, int Limit) CountPromptTokens(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var tokenizer = _promptEncoders[0].Tokenizer;
        return (tokenizer.Encode(prompt).TokenCount, tokenizer.MaxLength - 2);
    }

    /// <summary>
    /// Tokenizes and encodes a prompt (batch 1). SD 1.x/2.x: <c>encoder_hidden_states = last_hidden_state</c>.
    /// SDXL (spec §7): the penultimate hidden states of both encoders concatenated per token
    /// (768 + 1280 wide for the real models), pooled = encoder 2's <c>text_embeds</c>.
    /// <see cref="PromptEmbeddings.Truncated"/> is set when the prompt was longer than the context.
    /// </summary>
    internal PromptEmbeddings EncodePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_promptEncoders.Length == 1)
        {
            var pair = _promptEncoders[0];
            return pair.Encoder.Encode(pair.Tokenizer.Encode(prompt));
        }
        if (_promptEncoders.Length != 2)
            throw new ReNoiseInputException($"{Folder}: {_promptEncoders.Length} text encoders are not supported (one for SD, two for SDXL)");

        var first = _promptEncoders[0];
        var second = _promptEncoders[1];
        var one = first.Encoder.EncodePenultimate(first.Tokenizer.Encode(prompt));
        var two = second.Encoder.EncodePenultimate(second.Tokenizer.Encode(prompt));
        if (one.SequenceLength != two.SequenceLength)
            throw new ReNoiseInputException(
                $"{Folder}: the two text encoders give {one.SequenceLength} and {two.SequenceLength} tokens; SDXL concatenates them per token");
        if (two.Pooled is null)
            throw new ReNoiseInputException(
                $"{second.Files.TextEncoderPath}: SDXL's second text encoder has no 'text_embeds' output (the pooled projection)");

        var width = one.HiddenSize + two.HiddenSize;
        var hidden = new float[one.SequenceLength * width];
        for (var token = 0; token < one.SequenceLength; token++)
        {
            one.HiddenStates.AsSpan(token * one.HiddenSize, one.HiddenSize).CopyTo(hidden.AsSpan(token * width));
            two.HiddenStates.AsSpan(token * two.HiddenSize, two.HiddenSize).CopyTo(hidden.AsSpan(token * width + one.HiddenSize));
        }
        return new PromptEmbeddings(hidden, one.SequenceLength, width, two.Pooled) { Truncated = one.Truncated || two.Truncated };
    }

    /// <summary>
    /// The unconditional embedding for classifier-free guidance when no negative prompt is given:
    /// all zeros for SDXL models with <c>force_zeros_for_empty_prompt</c> (as diffusers' SDXL
    /// pipelines do), else the encoded empty prompt.
    /// </summary>
    internal PromptEmbeddings EncodeUnconditional()
    {
        var empty = EncodePrompt("");
        return ZeroesEmptyPrompt ? empty.Zeros() : empty;
    }

    /// <summary>True when the unconditional embedding is all zeros (SDXL with force_zeros_for_empty_prompt).</summary>
    internal bool ZeroesEmptyPrompt => Family == ModelFamily.Sdxl && _folder.ForceZerosForEmptyPrompt;

    /// <summary>
    /// Encodes NCHW RGB pixels in [-1, 1] (3 x height x width) to the scaled latent
    /// (encoder mean x <see cref="ScalingFactor"/>), of shape <see cref="LatentShapeFor"/>.
    /// </summary>
    internal float[] EncodeImage(ReadOnlySpan<float> pixelsNchw, int width, int height)
    {
        var expected = LatentShapeFor(width, height);
        if (pixelsNchw.Length != 3 * width * height)
            throw new ArgumentException($"pixels hold {pixelsNchw.Length} values, expected 3 x {height} x {width}", nameof(pixelsNchw));
        var (latent, shape) = VaeEncoder.Encode(pixelsNchw, width, height);
        if (shape != expected)
            throw new ReNoiseInputException(
                $"{_folder.VaeEncoderPath}: a {width}x{height} image encoded to {shape}, expected {expected}");
        return latent;
    }

    /// <summary>
    /// Encodes <paramref name="image"/> as <see cref="EncodeImage(ReadOnlySpan{float}, int, int)"/> does
    /// its NCHW pixels (spec §7 normalization), normalizing straight into the encoder's input.
    /// </summary>
    internal float[] EncodeImage(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var expected = LatentShapeFor(image.Width, image.Height);
        var (latent, shape) = VaeEncoder.Encode(image);
        if (shape != expected)
            throw new ReNoiseInputException(
                $"{_folder.VaeEncoderPath}: a {image.Width}x{image.Height} image encoded to {shape}, expected {expected}");
        return latent;
    }

    /// <summary>
    /// Decodes a scaled latent to a width x height RGB image (clamped and rounded as
    /// <see cref="ImageTensor.FromNchw"/> does the pixels of <see cref="DecodeLatent"/>).
    /// </summary>
    internal RgbImage DecodeImage(ReadOnlySpan<float> latent, LatentShape shape, int width, int height)
    {
        if (shape.Channels != LatentChannels)
            throw new ArgumentException($"latent has {shape.Channels} channels, the model uses {LatentChannels}", nameof(shape));
        return VaeDecoder.DecodeImage(latent, shape, width, height);
    }

    /// <summary>
    /// Decodes a scaled latent to NCHW RGB pixels (3 x height*8 x width*8), not clamped: values may
    /// leave [-1, 1] slightly and the caller clamps.
    /// </summary>
    internal float[] DecodeLatent(ReadOnlySpan<float> latent, LatentShape shape)
    {
        if (shape.Channels != LatentChannels)
            throw new ArgumentException($"latent has {shape.Channels} channels, the model uses {LatentChannels}", nameof(shape));
        return VaeDecoder.Decode(latent, shape).Pixels;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var pair in _promptEncoders)
            if (pair.EncoderCreated) pair.LazyEncoder.Value.Dispose();
        if (_unet.IsValueCreated) _unet.Value.Dispose();
        if (_vaeEncoder.IsValueCreated) _vaeEncoder.Value.Dispose();
        if (_vaeDecoder.IsValueCreated) _vaeDecoder.Value.Dispose();
    }

    /// <summary>The one place a tokenizer is built for a tokenizer folder.</summary>
    private static IPromptTokenizer CreateTokenizer(string tokenizerDirectory) => ClipTokenizer.FromDirectory(tokenizerDirectory);

    private OnnxSession Open(string modelPath) => _sessions.Create(modelPath);

    internal T Get<T>(Lazy<T> lazy)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return lazy.Value;
    }

    private void CheckImageSize(int width, int height)
    {
        if (width <= 0 || height <= 0 || width % VaeScaleFactor != 0 || height % VaeScaleFactor != 0)
            throw new ReNoiseInputException(
                $"image size {width}x{height} must be positive multiples of {VaeScaleFactor} for this model");
    }

    private IEnumerable<OnnxSession> CreatedSessions()
    {
        foreach (var pair in _promptEncoders)
            if (pair.EncoderCreated) yield return pair.LazyEncoder.Value.Session;
        if (_unet.IsValueCreated) yield return _unet.Value.Session;
        if (_vaeEncoder.IsValueCreated) yield return _vaeEncoder.Value.Session;
        if (_vaeDecoder.IsValueCreated) yield return _vaeDecoder.Value.Session;
    }
}
