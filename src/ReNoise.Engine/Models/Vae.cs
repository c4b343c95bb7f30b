using System.Numerics.Tensors;
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
        long[] shape = [1, 3, height, width];
        Input.CheckShape(shape, _session.ModelPath);
        lock (_gate)
        {
            using var pixels = new TensorBuffer(Input.ElementType, shape, $"{_session.ModelPath}: input '{Input.Name}'");
            pixels.WriteFloats(pixelsNchw);
            using var outputs = _session.Run(_inputNames, [pixels.Value], _outputNames);

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
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>The VAE decoder: scaled latent -> NCHW RGB pixels, roughly in [-1, 1] and not clamped (the caller clamps).</summary>
internal sealed class VaeDecoder : IDisposable
{
    private readonly OnnxSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly object _gate = new();

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
        if (latent.Length != shape.Length)
            throw new ArgumentException($"latent holds {latent.Length} values, expected {shape}", nameof(latent));
        long[] inputShape = [1, shape.Channels, shape.Height, shape.Width];
        Input.CheckShape(inputShape, _session.ModelPath);
        lock (_gate)
        {
            using var input = new TensorBuffer(Input.ElementType, inputShape, $"{_session.ModelPath}: input '{Input.Name}'");
            input.WriteFloats(latent, scale: 1f / ScalingFactor);
            using var outputs = _session.Run(_inputNames, [input.Value], _outputNames);

            var dims = outputs[0].GetTensorTypeAndShape().Shape;
            if (dims.Length != 4 || dims[0] != 1)
                throw new ReNoiseInputException(
                    $"{_session.ModelPath}: output '{Output.Name}' has shape [{string.Join(",", dims)}], expected [1, channels, height, width]");
            var pixelShape = new LatentShape((int)dims[1], (int)dims[2], (int)dims[3]);
            var pixels = new float[pixelShape.Length];
            TensorBuffer.ReadFloats(outputs[0], pixels, $"{_session.ModelPath}: output '{Output.Name}'");
            return (pixels, pixelShape);
        }
    }

    public void Dispose() => _session.Dispose();
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
