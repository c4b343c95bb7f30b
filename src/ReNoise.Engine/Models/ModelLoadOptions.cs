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

    /// <summary>
    /// Cross-job batching: how many concurrent jobs (inversions, edits) on this model may have their
    /// UNet calls go out as one batched call. 1 (the default) runs every job's calls on their own.
    /// </summary>
    public int BatchJobs { get; init; } = 1;

    /// <summary>
    /// With <see cref="BatchJobs"/> above 1: how long a call waits for the other running jobs'
    /// calls before its batch runs without them. The batch runs at once when every job is waiting.
    /// </summary>
    public TimeSpan BatchLinger { get; init; } = DefaultBatchLinger;

    public static TimeSpan DefaultBatchLinger { get; } = TimeSpan.FromMilliseconds(20);

    public const int MaxBatchJobs = 64;

    public static ModelLoadOptions Default { get; } = new();

    /// <summary>The names front ends and configuration accept: auto, cuda, cpu.</summary>
    public static IReadOnlyList<string> ProviderNames { get; } = Array.AsReadOnly(["auto", "cuda", "cpu"]);

    /// <summary>
    /// Parses auto | cuda | cpu (case-insensitive). Anything else is a <see cref="ReNoiseInputException"/>
    /// naming <paramref name="setting"/> (the option or configuration key the text came from).
    /// </summary>
    public static ExecutionProvider ParseExecutionProvider(string? text, string setting) =>
        text?.Trim().ToLowerInvariant() switch
        {
            "auto" => ExecutionProvider.Auto,
            "cuda" => ExecutionProvider.Cuda,
            "cpu" => ExecutionProvider.Cpu,
            _ => throw new ReNoiseInputException($"{setting} must be auto, cuda or cpu, got '{text}'"),
        };

    /// <summary>Checks the numbers; throws <see cref="ReNoiseInputException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (IntraOpThreads < 0)
            throw new ReNoiseInputException($"intra-op thread count must be 0 (automatic) or positive, got {IntraOpThreads}");
        if (CudaDeviceId < 0)
            throw new ReNoiseInputException($"CUDA device id must be 0 or more, got {CudaDeviceId}");
        if (BatchJobs is < 1 or > MaxBatchJobs)
            throw new ReNoiseInputException($"the batch size in jobs must be from 1 to {MaxBatchJobs}, got {BatchJobs}");
        if (BatchLinger < TimeSpan.Zero || BatchLinger > TimeSpan.FromSeconds(1))
            throw new ReNoiseInputException($"the batch linger must be from 0 to 1 s, got {BatchLinger.TotalMilliseconds} ms");
    }
}
