using Microsoft.ML.OnnxRuntime;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Models;

/// <summary>
/// The UNet session as an <see cref="INoisePredictor"/>: inputs <c>sample</c>, <c>timestep</c>,
/// <c>encoder_hidden_states</c>, plus, when the export has them, SDXL's <c>text_embeds</c> (the
/// prompt's pooled embedding, per batch element) and <c>time_ids</c> ([H, W, 0, 0, H, W] of the
/// image the latent decodes to), and LCM's <c>timestep_cond</c> (the guidance-scale embedding).
/// Inputs are found by name, element types and ranks come from the metadata; output <c>out_sample</c>.
/// Input and output tensors are kept per batch size and latent shape and bound once to an
/// <see cref="OrtIoBinding"/>, so repeated calls allocate nothing. Each batch slot remembers the
/// <see cref="PromptEmbeddings"/> instance it holds (they are immutable) and is rewritten only when
/// a call brings another one. A model whose batch axis is fixed to 1 is run element by element,
/// each element with its own binding, so its slot keeps its embeddings too.
/// </summary>
internal sealed class UNet : INoisePredictor, IDisposable
{
    // Batches of several jobs come in many sizes (1 to 4 slots per job); keep a binding per size.
    private const int MaxCachedBindings = 16;

    private readonly OnnxSession _session;
    private readonly bool _rebindWrittenInputs;
    private readonly Dictionary<BindingKey, Binding> _bindings = [];
    private readonly object _gate = new();
    private float[]? _defaultTimestepCond;
    private bool _disposed;

    /// <param name="vaeScaleFactor">Pixels per latent cell: turns the latent shape into the image size of <c>time_ids</c>.</param>
    /// <param name="timeCondProjDim">The UNet config's <c>time_cond_proj_dim</c>, used when the export leaves that axis dynamic.</param>
    public UNet(OnnxSession session, int vaeScaleFactor = 8, int? timeCondProjDim = null)
    {
        if (vaeScaleFactor < 1) throw new ArgumentOutOfRangeException(nameof(vaeScaleFactor));
        _session = session;
        VaeScaleFactor = vaeScaleFactor;
        SampleInput = RequireInput(session, "sample", 4);
        TimestepInput = RequireInput(session, "timestep", -1);
        EncoderHiddenStatesInput = RequireInput(session, "encoder_hidden_states", 3);
        if (TimestepInput.Rank > 1)
            throw new ReNoiseInputException(
                $"{session.ModelPath}: UNet input 'timestep' has rank {TimestepInput.Rank}, expected a scalar or [batch]");
        TextEmbedsInput = OptionalInput(session, "text_embeds");
        TimeIdsInput = OptionalInput(session, "time_ids");
        TimestepCondInput = OptionalInput(session, "timestep_cond");

        // Any further graph input is required (ONNX has no optional graph inputs) and would need
        // conditioning this engine does not build.
        var unknown = session.Inputs.FirstOrDefault(i => !KnownInputs.Contains(i.Name));
        if (unknown is not null)
            throw new ReNoiseInputException(
                $"{session.ModelPath}: UNet input '{unknown.Name}' is not supported (the engine feeds {string.Join(", ", KnownInputs)})");

        if (TimestepCondInput is not null)
        {
            int declared = TimestepCondInput.Dimensions[1];
            TimeCondProjDim = declared > 0 ? declared : timeCondProjDim
                ?? throw new ReNoiseInputException(
                    $"{session.ModelPath}: the width of UNet input 'timestep_cond' is dynamic and unet/config.json states no time_cond_proj_dim");
            if (timeCondProjDim is { } configured && declared > 0 && configured != declared)
                throw new ReNoiseInputException(
                    $"{session.ModelPath}: UNet input 'timestep_cond' is {declared} wide but unet/config.json says time_cond_proj_dim {configured}");
            if (TimeCondProjDim < 4)
                throw new ReNoiseInputException($"{session.ModelPath}: UNet input 'timestep_cond' is {TimeCondProjDim} wide, expected at least 4");
        }

        OutputInfo = session.FindOutput("out_sample")
                     ?? (session.Outputs.Count == 1 ? session.Outputs[0] : null)
                     ?? throw new ReNoiseInputException(
                         $"{session.ModelPath}: UNet has no 'out_sample' output (outputs: {string.Join(", ", session.Outputs.Select(o => o.Name))})");
        if (!OutputInfo.IsFloatingPoint)
            throw new ReNoiseInputException($"{session.ModelPath}: UNet output '{OutputInfo.Name}' is {OutputInfo.ElementType}, expected float");

        _rebindWrittenInputs = !session.ReadsBoundInputsInPlace;
        RunsElementByElement = SampleInput.IsFixed(0, 1) || EncoderHiddenStatesInput.IsFixed(0, 1);
    }

    private static readonly string[] KnownInputs = ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids", "timestep_cond"];

    public OnnxSession Session => _session;
    public OnnxTensorInfo SampleInput { get; }
    public OnnxTensorInfo TimestepInput { get; }
    public OnnxTensorInfo EncoderHiddenStatesInput { get; }

    /// <summary>SDXL's pooled prompt embedding input, when the export has it.</summary>
    public OnnxTensorInfo? TextEmbedsInput { get; }

    /// <summary>SDXL's size-and-crop conditioning input, when the export has it.</summary>
    public OnnxTensorInfo? TimeIdsInput { get; }

    /// <summary>LCM-distilled UNets' guidance-scale embedding input, when the export has it.</summary>
    public OnnxTensorInfo? TimestepCondInput { get; }

    public OnnxTensorInfo OutputInfo { get; }

    public int VaeScaleFactor { get; }

    /// <summary>Width of <c>timestep_cond</c>; null when the UNet takes none.</summary>
    public int? TimeCondProjDim { get; }

    /// <summary>True for LCM-distilled UNets, which are conditioned on the guidance scale.</summary>
    public bool UsesGuidanceEmbedding => TimestepCondInput is not null;

    /// <summary>True when the exported batch axis is fixed to 1, so a batch is evaluated one element per run.</summary>
    public bool RunsElementByElement { get; }

    /// <summary>
    /// True when one call may evaluate its batch elements at different timesteps (a dynamic
    /// [batch] timestep input, or a run per element); a scalar timestep is shared by the call.
    /// </summary>
    public bool TakesTimestepPerElement => RunsElementByElement || (TimestepInput.Rank == 1 && TimestepInput.Dimensions[0] <= 0);

    /// <summary>The <c>timestep_cond</c> row of the default LCM guidance scale; empty when the UNet takes none.</summary>
    internal ReadOnlySpan<float> DefaultTimestepCond => DefaultTimestepCondRow.Span;

    internal ReadOnlyMemory<float> DefaultTimestepCondRow => TimeCondProjDim is { } dim
        ? _defaultTimestepCond ??= GuidanceScaleEmbedding.ForGuidanceScale(GuidanceScaleEmbedding.DefaultGuidanceScale, dim)
        : ReadOnlyMemory<float>.Empty;

    /// <summary>SDXL's time_ids for a height x width image: original size, crop top-left (0, 0), target size.</summary>
    public static float[] TimeIds(int height, int width) => [height, width, 0, 0, height, width];

    /// <summary>
    /// A view of this UNet that feeds the guidance-scale embedding of <paramref name="guidanceScale"/>
    /// (of w - 1) as <c>timestep_cond</c>. The view shares the session; the plain UNet feeds the
    /// embedding of <see cref="GuidanceScaleEmbedding.DefaultGuidanceScale"/>.
    /// </summary>
    public INoisePredictor WithGuidanceScale(double guidanceScale)
    {
        if (!double.IsFinite(guidanceScale)) throw new ArgumentOutOfRangeException(nameof(guidanceScale));
        if (TimeCondProjDim is not { } dim) return this;
        return new GuidanceConditionedUNet(this, guidanceScale, GuidanceScaleEmbedding.ForGuidanceScale(guidanceScale, dim));
    }

    public void Predict(ReadOnlySpan<float> samples, LatentShape shape, int timestep,
        ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output) =>
        Predict(samples, shape, [timestep], conditioning, output, DefaultTimestepCond);

    /// <summary>
    /// One call over a batch: <paramref name="timesteps"/> holds one timestep for every element or one
    /// per element (<see cref="TakesTimestepPerElement"/>), <paramref name="timestepCond"/> one
    /// <c>timestep_cond</c> row for every element or one per element (empty when the UNet takes none).
    /// Elements from several jobs share a call this way.
    /// </summary>
    internal void Predict(ReadOnlySpan<float> samples, LatentShape shape, ReadOnlySpan<int> timesteps,
        ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output, ReadOnlySpan<float> timestepCond)
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
        var pooledSize = conditioning[0].Pooled?.Length ?? 0;
        foreach (var c in conditioning)
        {
            if (c.SequenceLength != sequenceLength || c.HiddenSize != hiddenSize || (c.Pooled?.Length ?? 0) != pooledSize)
                throw new ArgumentException("all conditioning embeddings of one batch must have the same shape", nameof(conditioning));
        }
        if (TextEmbedsInput is not null && pooledSize == 0)
            throw new ReNoiseInputException(
                $"{_session.ModelPath}: the UNet takes pooled text embeddings ('{TextEmbedsInput.Name}') but the prompt encoding has none (SDXL models need tokenizer_2/ and text_encoder_2/)");
        if (TimeCondProjDim is { } dim && timestepCond.Length != dim && timestepCond.Length != batch * dim)
            throw new ArgumentException($"timestep_cond holds {timestepCond.Length} values, the UNet takes {dim} per element", nameof(timestepCond));
        bool perElementTimesteps = timesteps.Length != 1;
        if (perElementTimesteps && timesteps.Length != batch)
            throw new ArgumentException($"{timesteps.Length} timesteps for {batch} elements", nameof(timesteps));
        if (perElementTimesteps && !TakesTimestepPerElement && timesteps.ContainsAnyExcept(timesteps[0]))
            throw new ArgumentException("this UNet takes one timestep per call, and the elements differ", nameof(timesteps));

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var perRun = RunsElementByElement ? 1 : batch;
            var binding = GetBinding(new BindingKey(perRun, shape, sequenceLength, hiddenSize, TextEmbedsInput is null ? 0 : pooledSize));
            // One value for the call when the elements agree (or the input is a scalar), else one per element.
            bool writeTimesteps = perElementTimesteps && timesteps.ContainsAnyExcept(timesteps[0]) && binding.Timestep.Length > 1;
            if (!writeTimesteps) binding.Timestep.Fill(timesteps[0]);
            bool condPerElement = timestepCond.Length > 0 && TimeCondProjDim is { } width && timestepCond.Length == batch * width;
            var latentLength = shape.Length;
            for (int first = 0, run = 0; first < batch; first += perRun, run++)
            {
                var runBinding = binding.Runs.Count > run ? binding.Runs[run] : AddRunBinding(binding);
                if (writeTimesteps) binding.Timestep.WriteInts(timesteps.Slice(first, perRun));
                else if (perElementTimesteps && RunsElementByElement) binding.Timestep.Fill(timesteps[first]);
                if (binding.TimestepCond is { } cond)
                {
                    int rowLength = TimeCondProjDim!.Value;
                    for (var b = 0; b < perRun; b++)
                        cond.WriteFloats(condPerElement ? timestepCond.Slice((first + b) * rowLength, rowLength) : timestepCond, b * rowLength);
                }
                binding.Sample.WriteFloats(samples.Slice(first * latentLength, perRun * latentLength));
                runBinding.WriteConditioning(conditioning.Slice(first, perRun));
                if (_rebindWrittenInputs) Rebind(binding, runBinding);
                _session.RunWithBinding(runBinding.IoBinding);
                binding.Output.ReadFloats(output.Slice(first * latentLength, perRun * latentLength));
            }
        }
    }

    /// <summary>
    /// Binds again what this call wrote, for providers that copy an input to their device when it is
    /// bound (<see cref="OnnxSession.ReadsBoundInputsInPlace"/> false): the sample and timestep always,
    /// the embeddings only when a slot changed. time_ids never changes after the first binding.
    /// </summary>
    private void Rebind(Binding binding, RunBinding runBinding)
    {
        var io = runBinding.IoBinding;
        io.BindInput(SampleInput.Name, binding.Sample.Value);
        io.BindInput(TimestepInput.Name, binding.Timestep.Value);
        if (binding.TimestepCond is { } cond) io.BindInput(TimestepCondInput!.Name, cond.Value);
        if (!runBinding.ConditioningUnbound) return;
        io.BindInput(EncoderHiddenStatesInput.Name, runBinding.EncoderHiddenStates.Value);
        if (runBinding.TextEmbeds is { } textEmbeds) io.BindInput(TextEmbedsInput!.Name, textEmbeds.Value);
        runBinding.ConditioningUnbound = false;
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
        TextEmbedsInput?.CheckShape(TextEmbedsShape(key), path);

        var created = new List<TensorBuffer>(5);
        TensorBuffer Add(OnnxTensorInfo info, long[] shape)
        {
            var buffer = new TensorBuffer(info.ElementType, shape, $"{path}: input '{info.Name}'");
            created.Add(buffer);
            return buffer;
        }

        try
        {
            var sample = Add(SampleInput, sampleShape);
            var timestep = Add(TimestepInput, timestepShape);
            TensorBuffer? timeIds = null, timestepCond = null;
            if (TimeIdsInput is not null)
            {
                // Fixed per latent shape: the image is neither resized nor cropped before encoding.
                var ids = TimeIds(key.Shape.Height * VaeScaleFactor, key.Shape.Width * VaeScaleFactor);
                long[] shape = [key.Batch, ids.Length];
                TimeIdsInput.CheckShape(shape, path);
                timeIds = Add(TimeIdsInput, shape);
                for (var b = 0; b < key.Batch; b++) timeIds.WriteFloats(ids, b * ids.Length);
            }
            if (TimestepCondInput is not null)
            {
                long[] shape = [key.Batch, TimeCondProjDim!.Value];
                TimestepCondInput.CheckShape(shape, path);
                timestepCond = Add(TimestepCondInput, shape);
            }
            // out_sample has the sample's shape, so it can be preallocated too.
            var output = new TensorBuffer(OutputInfo.ElementType, sampleShape, $"{path}: output '{OutputInfo.Name}'");
            created.Add(output);
            var binding = new Binding(key, sample, timestep, timeIds, timestepCond, output);
            AddRunBinding(binding);
            return binding;
        }
        catch
        {
            foreach (var buffer in created) buffer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One more <see cref="OrtIoBinding"/> for <paramref name="binding"/>: its shared tensors plus
    /// embedding tensors of its own. A batched model has one; a model run element by element gets
    /// one per batch element, added when a batch first reaches it.
    /// </summary>
    private RunBinding AddRunBinding(Binding binding)
    {
        var key = binding.Key;
        var path = _session.ModelPath;
        TensorBuffer? hidden = null, textEmbeds = null;
        OrtIoBinding? io = null;
        try
        {
            hidden = new TensorBuffer(EncoderHiddenStatesInput.ElementType, [key.Batch, key.SequenceLength, key.HiddenSize],
                $"{path}: input '{EncoderHiddenStatesInput.Name}'");
            if (TextEmbedsInput is not null)
                textEmbeds = new TensorBuffer(TextEmbedsInput.ElementType, TextEmbedsShape(key), $"{path}: input '{TextEmbedsInput.Name}'");
            io = _session.CreateIoBinding();
            io.BindInput(SampleInput.Name, binding.Sample.Value);
            io.BindInput(TimestepInput.Name, binding.Timestep.Value);
            io.BindInput(EncoderHiddenStatesInput.Name, hidden.Value);
            if (textEmbeds is not null) io.BindInput(TextEmbedsInput!.Name, textEmbeds.Value);
            if (binding.TimeIds is { } timeIds) io.BindInput(TimeIdsInput!.Name, timeIds.Value);
            if (binding.TimestepCond is { } cond) io.BindInput(TimestepCondInput!.Name, cond.Value);
            io.BindOutput(OutputInfo.Name, binding.Output.Value);
            var run = new RunBinding(io, hidden, textEmbeds, key.Batch, key.SequenceLength * key.HiddenSize, key.PooledSize);
            binding.Runs.Add(run);
            return run;
        }
        catch
        {
            io?.Dispose();
            hidden?.Dispose();
            textEmbeds?.Dispose();
            throw;
        }
    }

    private static long[] TextEmbedsShape(BindingKey key) => [key.Batch, key.PooledSize];

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

    /// <summary>A [batch, width] conditioning input the export may or may not have.</summary>
    private static OnnxTensorInfo? OptionalInput(OnnxSession session, string name) =>
        session.FindInput(name) is null ? null : RequireInput(session, name, 2);

    private readonly record struct BindingKey(int Batch, LatentShape Shape, int SequenceLength, int HiddenSize, int PooledSize);

    /// <summary>
    /// The pinned tensors of one (batch, shape) combination that every run shares (each run rewrites
    /// the sample and reads the output before the next), and the <see cref="RunBinding"/>s that run them.
    /// </summary>
    private sealed class Binding(BindingKey key, TensorBuffer sample, TensorBuffer timestep,
        TensorBuffer? timeIds, TensorBuffer? timestepCond, TensorBuffer output) : IDisposable
    {
        public BindingKey Key { get; } = key;
        public TensorBuffer Sample { get; } = sample;
        public TensorBuffer Timestep { get; } = timestep;
        public TensorBuffer? TimeIds { get; } = timeIds;
        public TensorBuffer? TimestepCond { get; } = timestepCond;
        public TensorBuffer Output { get; } = output;
        public List<RunBinding> Runs { get; } = new(1);

        public void Dispose()
        {
            // The IoBindings reference the tensors' native values: release them first.
            foreach (var run in Runs) run.Dispose();
            Runs.Clear();
            Sample.Dispose();
            Timestep.Dispose();
            TimeIds?.Dispose();
            TimestepCond?.Dispose();
            Output.Dispose();
        }
    }

    /// <summary>
    /// One <see cref="OrtIoBinding"/> with the embedding tensors of the batch elements it runs, and
    /// which <see cref="PromptEmbeddings"/> instance each of their slots holds (kept alive until the
    /// slot gets another one or the binding is dropped).
    /// </summary>
    private sealed class RunBinding(OrtIoBinding ioBinding, TensorBuffer encoderHiddenStates, TensorBuffer? textEmbeds,
        int slots, int embeddingLength, int pooledSize) : IDisposable
    {
        private readonly PromptEmbeddings?[] _held = new PromptEmbeddings?[slots];

        public OrtIoBinding IoBinding { get; } = ioBinding;
        public TensorBuffer EncoderHiddenStates { get; } = encoderHiddenStates;
        public TensorBuffer? TextEmbeds { get; } = textEmbeds;

        /// <summary>
        /// True when an embedding tensor was written since it was last bound; only providers that copy
        /// inputs at bind time look at it (see <see cref="OnnxSession.ReadsBoundInputsInPlace"/>).
        /// </summary>
        public bool ConditioningUnbound { get; set; }

        /// <summary>
        /// Writes (and converts) the embeddings of the slots whose instance changed. An instance is
        /// never rewritten in place, so the same instance means the same values.
        /// </summary>
        public void WriteConditioning(ReadOnlySpan<PromptEmbeddings> conditioning)
        {
            for (var b = 0; b < conditioning.Length; b++)
            {
                var c = conditioning[b];
                if (ReferenceEquals(_held[b], c)) continue;
                _held[b] = null;   // a failed write must not leave the slot claiming c
                EncoderHiddenStates.WriteFloats(c.HiddenStates, b * embeddingLength);
                TextEmbeds?.WriteFloats(c.Pooled!, b * pooledSize);
                _held[b] = c;
                ConditioningUnbound = true;
            }
        }

        public void Dispose()
        {
            IoBinding.Dispose();
            Array.Clear(_held);
            EncoderHiddenStates.Dispose();
            TextEmbeds?.Dispose();
        }
    }
}

/// <summary>A <see cref="UNet"/> fed one fixed guidance-scale embedding as <c>timestep_cond</c> (one per job; the session is shared).</summary>
internal sealed class GuidanceConditionedUNet : INoisePredictor
{
    private readonly float[] _embedding;

    internal GuidanceConditionedUNet(UNet unet, double guidanceScale, float[] embedding)
    {
        UNet = unet;
        GuidanceScale = guidanceScale;
        _embedding = embedding;
    }

    public UNet UNet { get; }

    /// <summary>The LCM guidance scale w; the embedding is of w - 1.</summary>
    public double GuidanceScale { get; }

    /// <summary>The <c>timestep_cond</c> row fed with every batch element.</summary>
    public ReadOnlySpan<float> Embedding => _embedding;

    internal ReadOnlyMemory<float> EmbeddingRow => _embedding;

    public void Predict(ReadOnlySpan<float> samples, LatentShape shape, int timestep,
        ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output) =>
        UNet.Predict(samples, shape, [timestep], conditioning, output, _embedding);
}
