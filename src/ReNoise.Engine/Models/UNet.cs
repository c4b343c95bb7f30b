using Microsoft.ML.OnnxRuntime;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Models;

/// <summary>
/// The UNet session as an <see cref="INoisePredictor"/>: inputs <c>sample</c>, <c>timestep</c>,
/// <c>encoder_hidden_states</c> (found by name, element types and ranks from the metadata), output
/// <c>out_sample</c>. Input and output tensors are kept per batch size and latent shape, so repeated
/// calls allocate nothing. A model whose batch axis is fixed to 1 is run element by element.
/// </summary>
public sealed class UNet : INoisePredictor, IDisposable
{
    private const int MaxCachedBindings = 4;

    private readonly OnnxSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly Dictionary<BindingKey, Binding> _bindings = [];
    private readonly object _gate = new();
    private bool _disposed;

    public UNet(OnnxSession session)
    {
        _session = session;
        SampleInput = RequireInput(session, "sample", 4);
        TimestepInput = RequireInput(session, "timestep", -1);
        EncoderHiddenStatesInput = RequireInput(session, "encoder_hidden_states", 3);
        if (TimestepInput.Rank > 1)
            throw new ReNoiseInputException(
                $"{session.ModelPath}: UNet input 'timestep' has rank {TimestepInput.Rank}, expected a scalar or [batch]");

        // Any further graph input is required (ONNX has no optional graph inputs); SDXL's text_embeds /
        // time_ids and LCM's timestep_cond need conditioning this pipeline does not build yet.
        var unknown = session.Inputs.FirstOrDefault(i =>
            i.Name is not ("sample" or "timestep" or "encoder_hidden_states"));
        if (unknown is not null)
            throw new ReNoiseInputException(
                $"{session.ModelPath}: UNet input '{unknown.Name}' is not supported yet; this model type (SDXL or LCM-distilled conditioning) cannot be used");

        OutputInfo = session.FindOutput("out_sample")
                     ?? (session.Outputs.Count == 1 ? session.Outputs[0] : null)
                     ?? throw new ReNoiseInputException(
                         $"{session.ModelPath}: UNet has no 'out_sample' output (outputs: {string.Join(", ", session.Outputs.Select(o => o.Name))})");
        if (!OutputInfo.IsFloatingPoint)
            throw new ReNoiseInputException($"{session.ModelPath}: UNet output '{OutputInfo.Name}' is {OutputInfo.ElementType}, expected float");

        _inputNames = [SampleInput.Name, TimestepInput.Name, EncoderHiddenStatesInput.Name];
        _outputNames = [OutputInfo.Name];
        RunsElementByElement = SampleInput.IsFixed(0, 1) || EncoderHiddenStatesInput.IsFixed(0, 1);
    }

    public OnnxSession Session => _session;
    public OnnxTensorInfo SampleInput { get; }
    public OnnxTensorInfo TimestepInput { get; }
    public OnnxTensorInfo EncoderHiddenStatesInput { get; }
    public OnnxTensorInfo OutputInfo { get; }

    /// <summary>True when the exported batch axis is fixed to 1, so a batch is evaluated one element per run.</summary>
    public bool RunsElementByElement { get; }

    public void Predict(ReadOnlySpan<float> samples, LatentShape shape, int timestep,
        ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output)
    {
        var batch = conditioning.Length;
        if (batch == 0)
            throw new ArgumentException("at least one conditioning embedding is required", nameof(conditioning));
        if (samples.Length != batch * shape.Length)
            throw new ArgumentException($"samples hold {samples.Length} values, expected {batch} x {shape}", nameof(samples));
        if (output.Length != samples.Length)
            throw new ArgumentException($"output holds {output.Length} values, expected {samples.Length}", nameof(output));
        var sequenceLength = conditioning[0].SequenceLength;
        var hiddenSize = conditioning[0].HiddenSize;
        foreach (var c in conditioning)
        {
            if (c.SequenceLength != sequenceLength || c.HiddenSize != hiddenSize)
                throw new ArgumentException("all conditioning embeddings of one batch must have the same shape", nameof(conditioning));
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var perRun = RunsElementByElement ? 1 : batch;
            var binding = GetBinding(new BindingKey(perRun, shape, sequenceLength, hiddenSize));
            binding.Timestep.Fill(timestep);
            var latentLength = shape.Length;
            var embeddingLength = sequenceLength * hiddenSize;
            for (var first = 0; first < batch; first += perRun)
            {
                binding.Sample.WriteFloats(samples.Slice(first * latentLength, perRun * latentLength));
                for (var b = 0; b < perRun; b++)
                    binding.EncoderHiddenStates.WriteFloats(conditioning[first + b].HiddenStates, b * embeddingLength);
                _session.Run(_inputNames, binding.Inputs, _outputNames, binding.Outputs);
                binding.Output.ReadFloats(output.Slice(first * latentLength, perRun * latentLength));
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var binding in _bindings.Values) binding.Dispose();
            _bindings.Clear();
        }
        _session.Dispose();
    }

    private Binding GetBinding(BindingKey key)
    {
        if (_bindings.TryGetValue(key, out var binding)) return binding;
        if (_bindings.Count >= MaxCachedBindings)
        {
            // Image sizes rarely change within a process; drop the old shapes rather than grow without bound.
            foreach (var old in _bindings.Values) old.Dispose();
            _bindings.Clear();
        }
        binding = CreateBinding(key);
        _bindings.Add(key, binding);
        return binding;
    }

    private Binding CreateBinding(BindingKey key)
    {
        var path = _session.ModelPath;
        long[] sampleShape = [key.Batch, key.Shape.Channels, key.Shape.Height, key.Shape.Width];
        long[] timestepShape = TimestepInput.Rank == 0
            ? []
            : [TimestepInput.Dimensions[0] > 0 ? TimestepInput.Dimensions[0] : key.Batch];
        long[] hiddenShape = [key.Batch, key.SequenceLength, key.HiddenSize];
        SampleInput.CheckShape(sampleShape, path);
        TimestepInput.CheckShape(timestepShape, path);
        EncoderHiddenStatesInput.CheckShape(hiddenShape, path);

        var created = new List<TensorBuffer>(4);
        try
        {
            created.Add(new TensorBuffer(SampleInput.ElementType, sampleShape, $"{path}: input '{SampleInput.Name}'"));
            created.Add(new TensorBuffer(TimestepInput.ElementType, timestepShape, $"{path}: input '{TimestepInput.Name}'"));
            created.Add(new TensorBuffer(EncoderHiddenStatesInput.ElementType, hiddenShape, $"{path}: input '{EncoderHiddenStatesInput.Name}'"));
            // out_sample has the sample's shape, so it can be preallocated too.
            created.Add(new TensorBuffer(OutputInfo.ElementType, sampleShape, $"{path}: output '{OutputInfo.Name}'"));
        }
        catch
        {
            foreach (var buffer in created) buffer.Dispose();
            throw;
        }
        return new Binding(created[0], created[1], created[2], created[3]);
    }

    private static OnnxTensorInfo RequireInput(OnnxSession session, string name, int rank)
    {
        var input = session.FindInput(name)
                    ?? throw new ReNoiseInputException(
                        $"{session.ModelPath}: UNet has no '{name}' input (inputs: {string.Join(", ", session.Inputs.Select(i => i.Name))})");
        if (rank >= 0 && input.Rank != rank)
            throw new ReNoiseInputException($"{session.ModelPath}: UNet input '{name}' has rank {input.Rank}, expected {rank}");
        if (!input.IsFloatingPoint && !(name == "timestep" && input.IsInteger))
            throw new ReNoiseInputException($"{session.ModelPath}: UNet input '{name}' has unsupported element type {input.ElementType}");
        return input;
    }

    private readonly record struct BindingKey(int Batch, LatentShape Shape, int SequenceLength, int HiddenSize);

    /// <summary>The pinned tensors of one (batch, shape) combination, in the session's input order.</summary>
    private sealed class Binding(TensorBuffer sample, TensorBuffer timestep, TensorBuffer encoderHiddenStates, TensorBuffer output)
        : IDisposable
    {
        public TensorBuffer Sample { get; } = sample;
        public TensorBuffer Timestep { get; } = timestep;
        public TensorBuffer EncoderHiddenStates { get; } = encoderHiddenStates;
        public TensorBuffer Output { get; } = output;
        public OrtValue[] Inputs { get; } = [sample.Value, timestep.Value, encoderHiddenStates.Value];
        public OrtValue[] Outputs { get; } = [output.Value];

        public void Dispose()
        {
            Sample.Dispose();
            Timestep.Dispose();
            EncoderHiddenStates.Dispose();
            Output.Dispose();
        }
    }
}
