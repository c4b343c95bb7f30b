using Microsoft.ML.OnnxRuntime;
using ReNoise.Engine.Text;

namespace ReNoise.Engine.Models;

/// <summary>
/// A CLIP text encoder session: token ids -> <c>last_hidden_state</c> [1, sequence, hidden] (SD 1.x/2.x)
/// or the penultimate <c>hidden_states.N</c> output (SDXL), and, when the model has one, the pooled
/// embedding (<c>text_embeds</c> of SDXL's projection encoder, else <c>pooler_output</c>).
/// </summary>
internal sealed class TextEncoder : IDisposable
{
    private readonly OnnxSession _session;
    private readonly OnnxTensorInfo _inputIds;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly string[]? _penultimateOutputNames;
    private readonly object _gate = new();
    private TensorBuffer? _ids;

    public TextEncoder(OnnxSession session)
    {
        _session = session;
        _inputIds = session.FindInput("input_ids")
                    ?? (session.Inputs.Count == 1 ? session.Inputs[0] : null)
                    ?? throw new ReNoiseInputException(
                        $"{session.ModelPath}: text encoder has no 'input_ids' input (inputs: {string.Join(", ", session.Inputs.Select(i => i.Name))})");
        if (!_inputIds.IsInteger)
            throw new ReNoiseInputException(
                $"{session.ModelPath}: text encoder input '{_inputIds.Name}' is {_inputIds.ElementType}, expected int32 or int64 token ids");
        var others = session.Inputs.Where(i => i.Name != _inputIds.Name).Select(i => i.Name).ToArray();
        if (others.Length > 0)
            throw new ReNoiseInputException(
                $"{session.ModelPath}: text encoder input '{others[0]}' is not supported (only token ids are)");

        HiddenStateOutput = session.FindOutput("last_hidden_state")
                            ?? session.Outputs.FirstOrDefault(o => o.Rank == 3 && o.IsFloatingPoint)
                            ?? throw new ReNoiseInputException(
                                $"{session.ModelPath}: text encoder has no 'last_hidden_state' or other 3-D output");
        PooledOutput = session.FindOutput("text_embeds") ?? session.FindOutput("pooler_output");
        HiddenStatesOutputs = session.Outputs
            .Select(o => (Output: o, Layer: HiddenStatesLayer(o.Name)))
            .Where(x => x.Layer >= 0)
            .OrderBy(x => x.Layer)
            .Select(x => x.Output)
            .ToArray();
        _inputNames = [_inputIds.Name];
        _outputNames = WithPooled(HiddenStateOutput);
        if (PenultimateHiddenStateOutput is { } penultimate) _penultimateOutputNames = WithPooled(penultimate);
    }

    public OnnxSession Session => _session;

    /// <summary>The token-id input as the model declares it (int32 or int64).</summary>
    public OnnxTensorInfo InputIds => _inputIds;

    public OnnxTensorInfo HiddenStateOutput { get; }

    public OnnxTensorInfo? PooledOutput { get; }

    /// <summary>The <c>hidden_states.N</c> outputs (exports made with hidden states), ordered by N.</summary>
    public IReadOnlyList<OnnxTensorInfo> HiddenStatesOutputs { get; }

    /// <summary>The second-to-last <c>hidden_states.N</c> output (what SDXL conditions on), when there are two or more.</summary>
    public OnnxTensorInfo? PenultimateHiddenStateOutput =>
        HiddenStatesOutputs.Count >= 2 ? HiddenStatesOutputs[^2] : null;

    /// <summary>Encodes a tokenized prompt; <see cref="PromptEmbeddings.Truncated"/> follows the tokenization.</summary>
    public PromptEmbeddings Encode(ClipTokenization tokens) => Encode(tokens.Ids, tokens.Truncated);

    /// <summary>Encodes one id sequence (batch 1) to <c>last_hidden_state</c>.</summary>
    public PromptEmbeddings Encode(ReadOnlySpan<int> ids, bool truncated = false) =>
        Encode(ids, truncated, HiddenStateOutput, _outputNames);

    /// <summary>
    /// Encodes one id sequence (batch 1) to the penultimate hidden state (SDXL's
    /// <c>hidden_states[-2]</c>), with the pooled output as usual. An export without
    /// <c>hidden_states.N</c> outputs cannot give it and is refused with a one-line message.
    /// </summary>
    public PromptEmbeddings EncodePenultimate(ReadOnlySpan<int> ids, bool truncated = false)
    {
        if (PenultimateHiddenStateOutput is not { } penultimate)
            throw new ReNoiseInputException(HiddenStatesOutputs.Count == 0
                ? $"{_session.ModelPath}: SDXL needs the text encoder's penultimate hidden state, but this export has no hidden_states.N outputs; re-export the model with hidden states (optimum-cli export onnx does so for SDXL)"
                : $"{_session.ModelPath}: SDXL needs the text encoder's penultimate hidden state, but this export has only '{HiddenStatesOutputs[0].Name}'");
        return Encode(ids, truncated, penultimate, _penultimateOutputNames!);
    }

    /// <summary>Encodes a tokenized prompt to the penultimate hidden state (see <see cref="EncodePenultimate(ReadOnlySpan{int}, bool)"/>).</summary>
    public PromptEmbeddings EncodePenultimate(ClipTokenization tokens) => EncodePenultimate(tokens.Ids, tokens.Truncated);

    private PromptEmbeddings Encode(ReadOnlySpan<int> ids, bool truncated, OnnxTensorInfo hiddenOutput, string[] outputNames)
    {
        if (ids.Length == 0)
            throw new ArgumentException("token id sequence is empty", nameof(ids));
        lock (_gate)
        {
            var ids1 = IdsBuffer(ids.Length);
            ids1.WriteInts(ids);
            using var outputs = _session.Run(_inputNames, [ids1.Value], outputNames);

            var hidden = outputs[0];
            var shape = hidden.GetTensorTypeAndShape().Shape;
            if (shape.Length != 3 || shape[0] != 1)
                throw new ReNoiseInputException(
                    $"{_session.ModelPath}: output '{hiddenOutput.Name}' has shape [{string.Join(",", shape)}], expected [1, sequence, hidden]");
            var sequenceLength = checked((int)shape[1]);
            var hiddenSize = checked((int)shape[2]);
            var hiddenStates = new float[sequenceLength * hiddenSize];
            TensorBuffer.ReadFloats(hidden, hiddenStates, $"{_session.ModelPath}: output '{hiddenOutput.Name}'");

            float[]? pooled = null;
            if (PooledOutput is not null)
            {
                var pooledValue = outputs[1];
                pooled = new float[checked((int)pooledValue.GetTensorTypeAndShape().ElementCount)];
                TensorBuffer.ReadFloats(pooledValue, pooled, $"{_session.ModelPath}: output '{PooledOutput.Name}'");
            }
            return new PromptEmbeddings(hiddenStates, sequenceLength, hiddenSize, pooled) { Truncated = truncated };
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _ids?.Dispose();
            _ids = null;
        }
        _session.Dispose();
    }

    private string[] WithPooled(OnnxTensorInfo hidden) =>
        PooledOutput is null ? [hidden.Name] : [hidden.Name, PooledOutput.Name];

    /// <summary>N of an output named <c>hidden_states.N</c>, else -1.</summary>
    private static int HiddenStatesLayer(string name)
    {
        const string prefix = "hidden_states.";
        return name.StartsWith(prefix, StringComparison.Ordinal)
               && int.TryParse(name.AsSpan(prefix.Length), System.Globalization.NumberStyles.None,
                   System.Globalization.CultureInfo.InvariantCulture, out var layer)
            ? layer
            : -1;
    }

    /// <summary>The [1, length] id tensor, kept while the length stays the same (it is always 77 for CLIP).</summary>
    private TensorBuffer IdsBuffer(int length)
    {
        if (_ids is not null && _ids.Length == length) return _ids;
        long[] shape = _inputIds.Rank == 1 ? [length] : [1, length];
        _inputIds.CheckShape(shape, _session.ModelPath);
        _ids?.Dispose();
        _ids = new TensorBuffer(_inputIds.ElementType, shape, $"{_session.ModelPath}: input '{_inputIds.Name}'");
        return _ids;
    }
}
