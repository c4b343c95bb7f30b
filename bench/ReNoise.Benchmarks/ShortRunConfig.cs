using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace ReNoise.Benchmarks;

/// <summary>
/// BenchmarkDotNet's ShortRun (1 launch, 3 warm-up, 3 measured iterations) with the memory
/// diagnoser: enough to see milliseconds and bytes on a shared two-core machine in minutes.
/// </summary>
public class ShortRunConfig : ManualConfig
{
    public ShortRunConfig() : this(Job.ShortRun) { }

    protected ShortRunConfig(Job job)
    {
        AddJob(job);
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
