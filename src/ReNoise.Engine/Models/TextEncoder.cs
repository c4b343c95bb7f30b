using Microsoft.ML.OnnxRuntime;
using ReNoise.Engine.Text;

namespace ReNoise.Engine.Models;

/// <summary>
/// A CLIP text encoder session: token ids -> <c>last_hidden_state</c> [1, sequence, hidden] and,
/// when the model has one, the pooled embedding (<c>text_embeds</c> of SDXL's projection encoder,
/// else <c>pooler_output</c>).
/// </summary>
public sealed class TextEncoder : IDisposable
{
    private readonly OnnxSession _session;
    private readonly OnnxTensorInfo _inputIds;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
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
        _inputNames = [_inputIds.Name];
        _outputNames = PooledOutput is null ? [HiddenStateOutput.Name] : [HiddenStateOutput.Name, PooledOutput.Name];
    }

    public OnnxSession Session => _session;

    /// <summary>The token-id input as the model declares it (int32 or int64).</summary>
    public OnnxTensorInfo InputIds => _inputIds;

    public OnnxTensorInfo HiddenStateOutput { get; }

    public OnnxTensorInfo? PooledOutput { get; }

    /// <summary>Encodes a tokenized prompt; <see cref="PromptEmbeddings.Truncated"/> follows the tokenization.</summary>
    public PromptEmbeddings Encode(ClipTokenization tokens) => Encode(tokens.Ids, tokens.Truncated);

    /// <summary>Encodes one id sequence (batch 1).</summary>
    public PromptEmbeddings Encode(ReadOnlySpan<int> ids, bool truncated = false)
    {
        if (ids.Length == 0)
            throw new ArgumentException("token id sequence is empty", nameof(ids));
        lock (_gate)
        {
            var ids1 = IdsBuffer(ids.Length);
            ids1.WriteInts(ids);
            using var outputs = _session.Run(_inputNames, [ids1.Value], _outputNames);

            var hidden = outputs[0];
            var shape = hidden.GetTensorTypeAndShape().Shape;
            if (shape.Length != 3 || shape[0] != 1)
                throw new ReNoiseInputException(
                    $"{_session.ModelPath}: output '{HiddenStateOutput.Name}' has shape [{string.Join(",", shape)}], expected [1, sequence, hidden]");
            var sequenceLength = checked((int)shape[1]);
            var hiddenSize = checked((int)shape[2]);
            var hiddenStates = new float[sequenceLength * hiddenSize];
            TensorBuffer.ReadFloats(hidden, hiddenStates, $"{_session.ModelPath}: output '{HiddenStateOutput.Name}'");

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
