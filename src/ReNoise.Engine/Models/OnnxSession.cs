using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace ReNoise.Engine.Models;

/// <summary>
/// The one place the engine meets ONNX Runtime: an <see cref="InferenceSession"/> with the model's
/// declared inputs and outputs (names, element types, dimensions) and a thread-safe count of the
/// time spent inside <c>Run</c>. Created through <see cref="OnnxSessionFactory"/>, which picks the
/// execution provider.
/// </summary>
internal sealed class OnnxSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private long _runTicks;

    internal OnnxSession(string modelPath, InferenceSession session, string executionProvider)
    {
        ModelPath = modelPath;
        _session = session;
        ExecutionProvider = executionProvider;
        ReadsBoundInputsInPlace = executionProvider == OnnxSessionFactory.CpuProviderName;
        Inputs = Describe(session.InputNames, session.InputMetadata);
        Outputs = Describe(session.OutputNames, session.OutputMetadata);
    }

    /// <summary>Opens one model on its own (tests, tools); <see cref="DiffusionModel"/> shares one factory.</summary>
    public static OnnxSession Open(string modelPath, ModelLoadOptions? options = null) =>
        new OnnxSessionFactory(options ?? ModelLoadOptions.Default).Create(modelPath);

    public string ModelPath { get; }

    /// <summary>ONNX Runtime's name of the provider the session runs on (e.g. CPUExecutionProvider).</summary>
    public string ExecutionProvider { get; }

    /// <summary>Inputs in the model's order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>Outputs in the model's order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>Wall time spent inside ONNX Runtime's Run, summed over all calls (for the manifest).</summary>
    public TimeSpan OrtTime => TimeSpan.FromTicks(Interlocked.Read(ref _runTicks));

    public OnnxTensorInfo? FindInput(string name) => Inputs.FirstOrDefault(i => i.Name == name);

    public OnnxTensorInfo? FindOutput(string name) => Outputs.FirstOrDefault(o => o.Name == name);

    /// <summary>
    /// True when ONNX Runtime reads a bound CPU input in place, so a buffer bound once can be rewritten
    /// between runs. ORT copies an input to the device its nodes need at bind time, not at run time:
    /// on the CPU provider nothing is copied, on CUDA a rewritten input must be bound again.
    /// Settable for tests, to exercise the rebinding path without a GPU.
    /// </summary>
    internal bool ReadsBoundInputsInPlace { get; set; }

    /// <summary>An <see cref="OrtIoBinding"/> on this session; the caller binds, runs it with <see cref="RunWithBinding"/> and disposes it.</summary>
    internal OrtIoBinding CreateIoBinding() => _session.CreateIoBinding();

    /// <summary>
    /// Runs with the values bound in <paramref name="binding"/> (outputs preallocated); ONNX Runtime's
    /// wrapper passes three handles straight through, so a run allocates nothing on the managed side.
    /// </summary>
    internal void RunWithBinding(OrtIoBinding binding)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            _session.RunWithBinding(_runOptions, binding);
        }
        finally
        {
            Interlocked.Add(ref _runTicks, Stopwatch.GetElapsedTime(started).Ticks);
        }
    }

    /// <summary>Runs and lets ONNX Runtime allocate the outputs (shapes known only after the run).</summary>
    internal IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyList<string> inputNames, IReadOnlyList<OrtValue> inputs,
        IReadOnlyList<string> outputNames)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return _session.Run(_runOptions, inputNames, inputs, outputNames);
        }
        finally
        {
            Interlocked.Add(ref _runTicks, Stopwatch.GetElapsedTime(started).Ticks);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    private static OnnxTensorInfo[] Describe(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        names.Select(name =>
        {
            var node = metadata[name];
            // Non-tensor values (sequences, maps) never occur in diffusion exports; they get no element type.
            return node.IsTensor
                ? new OnnxTensorInfo(name, node.ElementDataType, node.Dimensions)
                : new OnnxTensorInfo(name, default, []);
        }).ToArray();
}
