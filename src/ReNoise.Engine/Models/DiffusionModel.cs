using ReNoise.Engine.Tensors;
using ReNoise.Engine.Text;

namespace ReNoise.Engine.Models;

/// <summary>One (tokenizer, text encoder) pair, built on first use.</summary>
public sealed class PromptEncoder
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
    private int _disposed;

    private DiffusionModel(ModelFolder folder, OnnxSessionFactory sessions)
    {
        _folder = folder;
        _sessions = sessions;
        _promptEncoders = folder.TextEncoders
            .Select(files => new PromptEncoder(this, files,
                new Lazy<IPromptTokenizer>(() => CreateTokenizer(files.TokenizerDirectory)),
                new Lazy<TextEncoder>(() => new TextEncoder(Open(files.TextEncoderPath)))))
            .ToArray();
        _unet = new Lazy<UNet>(() => new UNet(Open(folder.UNetPath)));
        _vaeEncoder = new Lazy<VaeEncoder>(() => new VaeEncoder(Open(folder.VaeEncoderPath), folder.ScalingFactor));
        _vaeDecoder = new Lazy<VaeDecoder>(() => new VaeDecoder(Open(folder.VaeDecoderPath), folder.ScalingFactor));
    }

    /// <summary>
    /// Opens the model folder at <paramref name="folder"/>. Throws <see cref="ReNoiseInputException"/>
    /// naming the first missing file, or when CUDA is required and unavailable.
    /// </summary>
    public static DiffusionModel Load(string folder, ModelLoadOptions? options = null)
    {
        var layout = ModelFolder.Open(folder);
        return new DiffusionModel(layout, new OnnxSessionFactory(options ?? ModelLoadOptions.Default));
    }

    /// <summary>The validated layout and config values.</summary>
    public ModelFolder Layout => _folder;

    public string Folder => _folder.Root;
    public ModelFamily Family => _folder.Family;
    public float ScalingFactor => _folder.ScalingFactor;
    public int DefaultImageSize => _folder.DefaultImageSize;
    public string SchedulerConfigPath => _folder.SchedulerConfigPath;
    public int LatentChannels => _folder.LatentChannels;
    public int VaeScaleFactor => _folder.VaeScaleFactor;

    /// <summary>ONNX Runtime's name of the active execution provider (CPUExecutionProvider, CUDAExecutionProvider).</summary>
    public string ExecutionProvider => _sessions.ActiveProvider;

    /// <summary>Things the user should know but that did not stop loading (e.g. the CUDA fallback).</summary>
    public IReadOnlyList<string> Warnings => _sessions.Warnings;

    /// <summary>The (tokenizer, text encoder) pairs: one for SD 1.x/2.x, two for SDXL.</summary>
    public IReadOnlyList<PromptEncoder> PromptEncoders => _promptEncoders;

    /// <summary>The noise predictor; its session is created on first access.</summary>
    public INoisePredictor UNet => Get(_unet);

    public VaeEncoder VaeEncoder => Get(_vaeEncoder);
    public VaeDecoder VaeDecoder => Get(_vaeDecoder);

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
    /// Tokenizes and encodes a prompt (batch 1). SD 1.x/2.x: <c>encoder_hidden_states = last_hidden_state</c>.
    /// <see cref="PromptEmbeddings.Truncated"/> is set when the prompt was longer than the context.
    /// </summary>
    public PromptEmbeddings EncodePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_promptEncoders.Length != 1)
            throw new ReNoiseInputException(
                $"{Folder}: {Family} models need the embeddings of {_promptEncoders.Length} text encoders combined, which is not supported yet");
        var pair = _promptEncoders[0];
        return pair.Encoder.Encode(pair.Tokenizer.Encode(prompt));
    }

    /// <summary>
    /// Encodes NCHW RGB pixels in [-1, 1] (3 x height x width) to the scaled latent
    /// (encoder mean x <see cref="ScalingFactor"/>), of shape <see cref="LatentShapeFor"/>.
    /// </summary>
    public float[] EncodeImage(ReadOnlySpan<float> pixelsNchw, int width, int height)
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
    /// Decodes a scaled latent to NCHW RGB pixels (3 x height*8 x width*8), not clamped: values may
    /// leave [-1, 1] slightly and the caller clamps.
    /// </summary>
    public float[] DecodeLatent(ReadOnlySpan<float> latent, LatentShape shape)
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
