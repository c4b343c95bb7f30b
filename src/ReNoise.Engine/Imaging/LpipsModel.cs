using ReNoise.Engine.Models;

namespace ReNoise.Engine.Imaging;

/// <summary>
/// A user-supplied LPIPS network (Zhang et al. 2018) exported to ONNX: two inputs, each a
/// [1, 3, H, W] RGB image in [-1, 1] (the same mapping as the VAE's, x / 127.5 - 1), and one
/// output holding the distance (one value, e.g. shaped [1, 1, 1, 1]). Input and output names and
/// element types are read from the model; the first input gets the first image.
/// </summary>
public sealed class LpipsModel : IDisposable
{
    private readonly OnnxSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly object _gate = new();

    private LpipsModel(OnnxSession session)
    {
        _session = session;
        string path = session.ModelPath;
        if (session.Inputs.Count != 2)
            throw new ReNoiseInputException($"{path}: an LPIPS model takes two images, this one has {session.Inputs.Count} input(s)");
        foreach (var input in session.Inputs)
        {
            if (!input.IsFloatingPoint || input.Rank != 4 || (input.Dimensions[1] > 0 && input.Dimensions[1] != 3))
                throw new ReNoiseInputException($"{path}: LPIPS input '{input.Name}' must be a floating-point [1,3,H,W] image, it is {input}");
        }
        if (session.Outputs.Count < 1)
            throw new ReNoiseInputException($"{path}: the LPIPS model has no output");
        _inputNames = session.Inputs.Select(i => i.Name).ToArray();
        _outputNames = [session.Outputs[0].Name];
    }

    /// <summary>Opens an LPIPS ONNX file; a missing or invalid file is a one-line <see cref="ReNoiseInputException"/>.</summary>
    public static LpipsModel Open(string path, ModelLoadOptions? options = null)
    {
        if (!File.Exists(path)) throw new ReNoiseInputException($"LPIPS model not found: {path}");
        var session = OnnxSession.Open(path, options);
        try
        {
            return new LpipsModel(session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public string Path => _session.ModelPath;

    /// <summary>Time spent inside ONNX Runtime by this model.</summary>
    public TimeSpan OrtTime => _session.OrtTime;

    /// <summary>The LPIPS distance between two images of the same size (0 for identical images).</summary>
    public double Distance(RgbImage a, RgbImage b)
    {
        if (a.Width != b.Width || a.Height != b.Height)
            throw new ArgumentException($"LPIPS compares images of one size, got {a.Width}x{a.Height} and {b.Width}x{b.Height}");
        long[] shape = [1, 3, a.Height, a.Width];
        var pixels = new float[3 * a.Width * a.Height];
        lock (_gate)
        {
            var first = _session.Inputs[0];
            var second = _session.Inputs[1];
            first.CheckShape(shape, Path);
            second.CheckShape(shape, Path);
            using var x = new TensorBuffer(first.ElementType, shape, $"{Path}: input '{first.Name}'");
            using var y = new TensorBuffer(second.ElementType, shape, $"{Path}: input '{second.Name}'");
            ImageTensor.ToNchw(a, pixels);
            x.WriteFloats(pixels);
            ImageTensor.ToNchw(b, pixels);
            y.WriteFloats(pixels);
            using var outputs = _session.Run(_inputNames, [x.Value, y.Value], _outputNames);
            long count = outputs[0].GetTensorTypeAndShape().ElementCount;
            if (count != 1)
                throw new ReNoiseInputException($"{Path}: LPIPS output '{_outputNames[0]}' holds {count} values, expected one distance");
            Span<float> value = stackalloc float[1];
            TensorBuffer.ReadFloats(outputs[0], value, $"{Path}: output '{_outputNames[0]}'");
            return value[0];
        }
    }

    public void Dispose() => _session.Dispose();
}
