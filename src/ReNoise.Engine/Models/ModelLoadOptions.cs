namespace ReNoise.Engine.Models;

/// <summary>Which ONNX Runtime execution provider the model's sessions run on.</summary>
public enum ExecutionProvider
{
    /// <summary>CUDA when it can be initialised, otherwise CPU (with a warning saying why).</summary>
    Auto,
    Cpu,
    /// <summary>CUDA or fail: loading reports why CUDA is unavailable instead of silently using the CPU.</summary>
    Cuda,
}

/// <summary>How a <see cref="DiffusionModel"/> creates its ONNX Runtime sessions.</summary>
public sealed record ModelLoadOptions
{
    public ExecutionProvider ExecutionProvider { get; init; } = ExecutionProvider.Auto;

    /// <summary>Threads ONNX Runtime may use inside one operator; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    public int CudaDeviceId { get; init; }

    public static ModelLoadOptions Default { get; } = new();
}
