using Microsoft.ML.OnnxRuntime;

namespace ReNoise.Engine.Models;

/// <summary>
/// Creates the sessions of one model with shared settings. The execution provider is resolved once,
/// up front: CUDA is tried by actually appending it (the GPU package lists CUDA as available even on
/// machines without a driver), and <see cref="ExecutionProvider.Auto"/> falls back to the CPU with a
/// warning that says why.
/// </summary>
internal sealed class OnnxSessionFactory
{
    internal const string CpuProviderName = "CPUExecutionProvider";
    internal const string CudaProviderName = "CUDAExecutionProvider";

    private readonly ModelLoadOptions _options;
    private readonly List<string> _warnings = [];
    private volatile bool _useCuda;

    public OnnxSessionFactory(ModelLoadOptions options)
    {
        _options = options;
        options.Validate();
        if (options.ExecutionProvider == ExecutionProvider.Cpu) return;

        var failure = CudaProbes.GetOrAdd(options.CudaDeviceId, ProbeCuda);
        if (failure is null)
            _useCuda = true;
        else if (options.ExecutionProvider == ExecutionProvider.Cuda)
            throw new ReNoiseInputException($"CUDA execution provider is not available ({failure}); " +
                "it needs an NVIDIA GPU and the CUDA 13 and cuDNN 9 libraries on the library path (LD_LIBRARY_PATH), or choose auto or cpu");
        else
            AddWarning($"CUDA execution provider is not available, running on CPU ({failure}); " +
                "a GPU needs the CUDA 13 and cuDNN 9 libraries on the library path (LD_LIBRARY_PATH), or choose the CPU explicitly");
    }

    /// <summary>The provider sessions are created on now (CUDA can still fall back per session).</summary>
    public string ActiveProvider => _useCuda ? CudaProviderName : CpuProviderName;

    public IReadOnlyList<string> Warnings
    {
        get { lock (_warnings) return _warnings.ToArray(); }
    }

    /// <summary>
    /// Opens <paramref name="modelPath"/>. A file ONNX Runtime cannot load is bad input:
    /// "&lt;path&gt; is not a valid ONNX model (&lt;reason&gt;)".
    /// </summary>
    public OnnxSession Create(string modelPath)
    {
        if (!File.Exists(modelPath))
            throw new ReNoiseInputException($"model file not found: {modelPath}");
        if (new FileInfo(modelPath).Length == 0)
            throw new ReNoiseInputException($"{modelPath} is not a valid ONNX model (empty file)");

        if (_useCuda)
        {
            try
            {
                return new OnnxSession(modelPath, CreateSession(modelPath, cuda: true), CudaProviderName);
            }
            catch (OnnxRuntimeException e) when (_options.ExecutionProvider == ExecutionProvider.Auto)
            {
                // The provider loaded but the session did not start on it (no device, out of memory,
                // or a bad model): retry on the CPU, which also tells the two apart.
                var session = CreateCpuSession(modelPath);
                AddWarning($"{modelPath}: CUDA session failed, running on CPU ({Reason(e)})");
                return session;
            }
            catch (OnnxRuntimeException e)
            {
                throw new ReNoiseInputException($"{modelPath} could not be loaded on CUDA ({Reason(e)})", e);
            }
        }
        return CreateCpuSession(modelPath);
    }

    private OnnxSession CreateCpuSession(string modelPath)
    {
        try
        {
            return new OnnxSession(modelPath, CreateSession(modelPath, cuda: false), CpuProviderName);
        }
        catch (OnnxRuntimeException e)
        {
            var reason = Reason(e);
            // ONNX Runtime repeats the path ("Load model from <path> failed:<why>"); the message names it once.
            var prefix = $"Load model from {modelPath} failed:";
            if (reason.StartsWith(prefix, StringComparison.Ordinal)) reason = reason[prefix.Length..].Trim();
            throw new ReNoiseInputException($"{modelPath} is not a valid ONNX model ({reason})", e);
        }
    }

    private InferenceSession CreateSession(string modelPath, bool cuda)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            EnableMemoryPattern = true,
            IntraOpNumThreads = _options.IntraOpThreads,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (cuda) options.AppendExecutionProvider_CUDA(_options.CudaDeviceId);
        return new InferenceSession(modelPath, options);
    }

    /// <summary>Probe results per device id: loading the provider is decided once per process.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string?> CudaProbes = new();

    /// <summary>Tries to load the CUDA provider; null on success, else why it failed.</summary>
    private static string? ProbeCuda(int deviceId)
    {
        // ONNX Runtime logs the failed library load itself, in red, on stderr; the caller reports
        // the failure as one warning instead.
        var env = OrtEnv.Instance();
        var level = env.EnvLogLevel;
        env.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
        try
        {
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(deviceId);
            return null;
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            return Reason(e);
        }
        finally
        {
            env.EnvLogLevel = level;
        }
    }

    private void AddWarning(string warning)
    {
        lock (_warnings) _warnings.Add(warning);
    }

    /// <summary>ONNX Runtime's message on one line, without its "[ErrorCode:...]" prefix.</summary>
    internal static string Reason(Exception e)
    {
        var message = JsonConfig.OneLine(e.Message);
        if (message.StartsWith("[ErrorCode:", StringComparison.Ordinal))
        {
            var end = message.IndexOf(']');
            if (end > 0) message = message[(end + 1)..].TrimStart();
        }
        return message;
    }
}
