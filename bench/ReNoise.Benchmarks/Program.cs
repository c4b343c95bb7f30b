using BenchmarkDotNet.Running;

namespace ReNoise.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project bench/ReNoise.Benchmarks -- --filter '*'</c>;
/// <c>-- cold</c> runs <see cref="ColdPipeline"/> instead.
/// Every class carries its own short job (see <see cref="ShortRunConfig"/>), so a full run takes
/// minutes on two cores. Results land in artifacts/benchmarks/results (git-ignored) unless
/// <c>--artifacts</c> says otherwise.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["cold", ..])
        {
            ColdPipeline.Run(args);
            return;
        }
        // BenchmarkDotNet finds this project's .csproj by searching below the working folder.
        Directory.SetCurrentDirectory(RepoPaths.RepoRoot);
        if (!args.Contains("--artifacts"))
            args = [.. args, "--artifacts", Path.Combine(RepoPaths.RepoRoot, "artifacts", "benchmarks")];
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        // The ORT-share log has been read into the summary by now.
        File.Delete(OrtShareLog.HostFile);
    }
}
