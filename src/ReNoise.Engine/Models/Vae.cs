using System.Buffers;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Models;

/// <summary>
/// The VAE encoder: NCHW RGB pixels in [-1, 1] -> the scaled latent (encoder mean x ScalingFactor, spec §7).
/// Exports give either <c>latent_sample</c> (already the mean) or <c>latent_parameters</c>
/// (mean then log-variance along channels: the first half is kept).
/// </summary>
internal sealed class VaeEncoder : IDisposable
{
    private readonly OnnxSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly object _gate = new();
    private TensorBuffer? _input;

    public VaeEncoder(OnnxSession session, float scalingFactor)
    {
        _session = session;
        ScalingFactor = scalingFactor;
        Input = VaeIo.FindInput(session, "sample", "VAE encoder");
        Output = session.FindOutput("latent_sample")
                 ?? session.FindOutput("latent_parameters")
                 ?? (session.Outputs.Count == 1 ? session.Outputs[0] : null)
                 ?? throw new ReNoiseInputException(
                     $"{session.ModelPath}: VAE encoder has no 'latent_sample' or 'latent_parameters' output");
        _inputNames = [Input.Name];
        _outputNames = [Output.Name];
    }

    public OnnxSession Session => _session;
    public OnnxTensorInfo Input { get; }
    public OnnxTensorInfo Output { get; }
    public float ScalingFactor { get; }

    /// <summary>True when the output holds mean and log-variance (only the mean is used).</summary>
    public bool OutputsDistributionParameters => Output.Name == "latent_parameters";

    /// <summary>Encodes one image (batch 1, 3 x height x width, values in [-1, 1]).</summary>
    public (float[] Latent, LatentShape Shape) Encode(ReadOnlySpan<float> pixelsNchw, int width, int height)
    {
        if (pixelsNchw.Length != 3 * width * height)
            throw new ArgumentException($"pixels hold {pixelsNchw.Length} values, expected 3 x {height} x {width}", nameof(pixelsNchw));
        lock (_gate)
        {
            TensorBuffer input = InputFor(width, height);
            input.WriteFloats(pixelsNchw);
            return Run(input);
        }
    }

    /// <summary>
    /// Encodes <paramref name="image"/>: its pixels are normalized (spec §7) straight into the model's
    /// input tensor when that is float32, without a separate pixel array.
    /// </summary>
    public (float[] Latent, LatentShape Shape) Encode(RgbImage image)
    {
        lock (_gate)
        {
            TensorBuffer input = InputFor(image.Width, image.Height);
            if (input.ElementType == TensorElementType.Float)
            {
                ImageTensor.ToNchw(image, input.Floats);
            }
            else
            {
                float[] pixels = ArrayPool<float>.Shared.Rent(input.Length);
                try
                {
                    ImageTensor.ToNchw(image, pixels.AsSpan(0, input.Length));
                    input.WriteFloats(pixels.AsSpan(0, input.Length));
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(pixels);
                }
            }
            return Run(input);
        }
    }

    /// <summary>
    /// The input tensor for a width x height image, kept for the next call of the same size: a
    /// 512x512 input is 3 MB, and allocating (and pinning) one per call cost 1-4 ms in page faults and
    /// gen-2 collections, ten times the fixture encoder's run. Called under the lock.
    /// </summary>
    private TensorBuffer InputFor(int width, int height)
    {
        long[] shape = [1, 3, height, width];
        if (_input is { } cached && cached.Shape.AsSpan().SequenceEqual(shape)) return cached;
        Input.CheckShape(shape, _session.ModelPath);
        _input?.Dispose();
        _input = null;
        _input = new TensorBuffer(Input.ElementType, shape, $"{_session.ModelPath}: input '{Input.Name}'");
        return _input;
    }

    private (float[] Latent, LatentShape Shape) Run(TensorBuffer input)
    {
        using var outputs = _session.Run(_inputNames, [input.Value], _outputNames);

        var dims = outputs[0].GetTensorTypeAndShape().Shape;
        if (dims.Length != 4 || dims[0] != 1)
            throw new ReNoiseInputException(
                $"{_session.ModelPath}: output '{Output.Name}' has shape [{string.Join(",", dims)}], expected [1, channels, height, width]");
        var channels = (int)dims[1];
        if (OutputsDistributionParameters)
        {
            if (channels % 2 != 0)
                throw new ReNoiseInputException(
                    $"{_session.ModelPath}: output '{Output.Name}' has {channels} channels, expected mean and log-variance halves");
            channels /= 2;
        }
        var latentShape = new LatentShape(channels, (int)dims[2], (int)dims[3]);
        var latent = new float[latentShape.Length];
        // Channels come first, so the mean is the leading block of the C-order buffer.
        TensorBuffer.ReadFloats(outputs[0], latent, $"{_session.ModelPath}: output '{Output.Name}'");
        TensorPrimitives.Multiply(latent, ScalingFactor, latent);
        return (latent, latentShape);
    }

    public void Dispose()
    {
        _session.Dispose();
        _input?.Dispose();
    }
}

/// <summary>The VAE decoder: scaled latent -> NCHW RGB pixels, roughly in [-1, 1] and not clamped (the caller clamps).</summary>
internal sealed class VaeDecoder : IDisposable
{
    private readonly OnnxSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly object _gate = new();
    private TensorBuffer? _input; // the last latent shape's input, kept for the next call

    public VaeDecoder(OnnxSession session, float scalingFactor)
    {
        _session = session;
        ScalingFactor = scalingFactor;
        Input = VaeIo.FindInput(session, "latent_sample", "VAE decoder");
        Output = session.FindOutput("sample")
                 ?? (session.Outputs.Count == 1 ? session.Outputs[0] : null)
                 ?? throw new ReNoiseInputException($"{session.ModelPath}: VAE decoder has no 'sample' output");
        _inputNames = [Input.Name];
        _outputNames = [Output.Name];
    }

    public OnnxSession Session => _session;
    public OnnxTensorInfo Input { get; }
    public OnnxTensorInfo Output { get; }
    public float ScalingFactor { get; }

    /// <summary>Decodes one latent (batch 1); returns pixels and their (channels, height, width).</summary>
    public (float[] Pixels, LatentShape Shape) Decode(ReadOnlySpan<float> latent, LatentShape shape)
    {
        lock (_gate)
        {
            using var outputs = Run(latent, shape);
            var pixelShape = PixelShape(outputs[0]);
            var pixels = new float[pixelShape.Length];
            TensorBuffer.ReadFloats(outputs[0], pixels, $"{_session.ModelPath}: output '{Output.Name}'");
            return (pixels, pixelShape);
        }
    }

    /// <summary>
    /// Decodes one latent to a width x height RGB image, converting the output tensor to bytes where
    /// ONNX Runtime left it (no 3 MB float copy per 512x512 decode, as <see cref="Decode"/> makes).
    /// </summary>
    public RgbImage DecodeImage(ReadOnlySpan<float> latent, LatentShape shape, int width, int height)
    {
        lock (_gate)
        {
            using var outputs = Run(latent, shape);
            var pixelShape = PixelShape(outputs[0]);
            if (pixelShape != new LatentShape(3, height, width))
                throw new ReNoiseInputException(
                    $"{_session.ModelPath}: output '{Output.Name}' is [1,{pixelShape.Channels},{pixelShape.Height},{pixelShape.Width}], expected a {width}x{height} RGB image [1,3,{height},{width}]");
            if (outputs[0].GetTensorTypeAndShape().ElementDataType == TensorElementType.Float)
                return ImageTensor.FromNchw(outputs[0].GetTensorDataAsSpan<float>()[..pixelShape.Length], width, height);
            float[] pixels = ArrayPool<float>.Shared.Rent(pixelShape.Length);
            try
            {
                var values = pixels.AsSpan(0, pixelShape.Length);
                TensorBuffer.ReadFloats(outputs[0], values, $"{_session.ModelPath}: output '{Output.Name}'");
                return ImageTensor.FromNchw(values, width, height);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(pixels);
            }
        }
    }

    /// <summary>Runs the decoder on <paramref name="latent"/> (unscaled into the kept input tensor). Called under the lock.</summary>
    private IDisposableReadOnlyCollection<OrtValue> Run(ReadOnlySpan<float> latent, LatentShape shape)
    {
        if (latent.Length != shape.Length)
            throw new ArgumentException($"latent holds {latent.Length} values, expected {shape}", nameof(latent));
        long[] inputShape = [1, shape.Channels, shape.Height, shape.Width];
        if (_input is null || !_input.Shape.AsSpan().SequenceEqual(inputShape))
        {
            Input.CheckShape(inputShape, _session.ModelPath);
            _input?.Dispose();
            _input = null;
            _input = new TensorBuffer(Input.ElementType, inputShape, $"{_session.ModelPath}: input '{Input.Name}'");
        }
        _input.WriteFloats(latent, scale: 1f / ScalingFactor);
        return _session.Run(_inputNames, [_input.Value], _outputNames);
    }

    private LatentShape PixelShape(OrtValue output)
    {
        var dims = output.GetTensorTypeAndShape().Shape;
        if (dims.Length != 4 || dims[0] != 1)
            throw new ReNoiseInputException(
                $"{_session.ModelPath}: output '{Output.Name}' has shape [{string.Join(",", dims)}], expected [1, channels, height, width]");
        return new LatentShape((int)dims[1], (int)dims[2], (int)dims[3]);
    }

    public void Dispose()
    {
        _session.Dispose();
        _input?.Dispose();
    }
}

internal static class VaeIo
{
    public static OnnxTensorInfo FindInput(OnnxSession session, string name, string component)
    {
        var input = session.FindInput(name)
                    ?? (session.Inputs.Count == 1 ? session.Inputs[0] : null)
                    ?? throw new ReNoiseInputException(
                        $"{session.ModelPath}: {component} has no '{name}' input (inputs: {string.Join(", ", session.Inputs.Select(i => i.Name))})");
        if (input.Rank != 4 || !input.IsFloatingPoint)
            throw new ReNoiseInputException(
                $"{session.ModelPath}: {component} input '{input.Name}' is {input.ElementType} {input.FormatDims()}, expected a float NCHW tensor");
        var others = session.Inputs.FirstOrDefault(i => i.Name != input.Name);
        if (others is not null)
            throw new ReNoiseInputException($"{session.ModelPath}: {component} input '{others.Name}' is not supported");
        return input;
    }
}
