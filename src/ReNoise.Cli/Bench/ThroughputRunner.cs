using System.Diagnostics;
using System.Numerics.Tensors;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;

namespace ReNoise.Cli.Bench;

/// <summary>One job of a throughput run: which image, how long it took from the run's start, and what it produced.</summary>
public sealed record ThroughputJob(string Image, TimeSpan Latency, int Nfe, float[] Latent, float[] NoiseMaps);

/// <summary>N inversions run one way (all at once, batched; or one after another): per-job latency and the wall time.</summary>
public sealed record ThroughputRun(IReadOnlyList<ThroughputJob> Jobs, TimeSpan Wall)
{
    public double JobsPerMinute => Jobs.Count / Wall.TotalMinutes;
}

/// <summary>The two runs of `renoise bench-throughput` and whether they produced the same inversions.</summary>
public sealed record ThroughputReport(ThroughputRun Batched, ThroughputRun Sequential, double LargestDifference, long BatchedCalls, long BatchedElements)
{
    /// <summary>Batched ONNX Runtime kernels round differently in the last bits; anything above this is a real difference.</summary>
    public const double Tolerance = 1e-4;

    public bool OutputsMatch => LargestDifference <= Tolerance;
}

/// <summary>
/// Runs the same N inversions twice on one model loaded for cross-job batching: all N at once (their
/// UNet calls go out together) and one after another (a lone job's calls run at once, unbatched).
/// A warm-up inversion first keeps session creation out of both.
/// </summary>
public sealed class ThroughputRunner(InversionPipeline pipeline)
{
    public ThroughputReport Run(IReadOnlyList<BenchImage> images, InversionParameters parameters, int concurrency,
        CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        if (images.Count == 0) throw new ArgumentException("no images", nameof(images));
        // Job k inverts image k (cycling through the folder), each with its own plan.
        var plans = Enumerable.Range(0, concurrency)
            .Select(k => pipeline.Plan(new InversionRequest { Prompt = images[k % images.Count].Prompt, Parameters = parameters }))
            .ToArray();
        var photos = Enumerable.Range(0, concurrency)
            .Select(k => ImageLoader.Load(images[k % images.Count].Path, plans[k].Width, plans[k].Height))
            .ToArray();
        string Name(int k) => images[k % images.Count].Name;

        pipeline.Invert(plans[0], photos[0], cancellation: cancellation); // warm-up: sessions and bindings
        var (callsBefore, elementsBefore) = pipeline.Model.BatchStats;

        var batched = new ThroughputJob[concurrency];
        using var start = new Barrier(concurrency + 1);
        var clock = new Stopwatch();
        var threads = Enumerable.Range(0, concurrency).Select(k => new Thread(() =>
        {
            start.SignalAndWait(cancellation);
            var result = pipeline.Invert(plans[k], photos[k], cancellation: cancellation);
            batched[k] = Job(Name(k), clock.Elapsed, result);
        }) { IsBackground = true }).ToArray();
        foreach (var thread in threads) thread.Start();
        clock.Start();
        start.SignalAndWait(cancellation);
        foreach (var thread in threads) thread.Join();
        var batchedWall = clock.Elapsed;
        var (callsAfter, elementsAfter) = pipeline.Model.BatchStats;

        var sequential = new ThroughputJob[concurrency];
        clock.Restart();
        for (int k = 0; k < concurrency; k++)
        {
            var result = pipeline.Invert(plans[k], photos[k], cancellation: cancellation);
            sequential[k] = Job(Name(k), clock.Elapsed, result);
        }
        var sequentialWall = clock.Elapsed;

        double largest = 0;
        for (int k = 0; k < concurrency; k++)
        {
            largest = Math.Max(largest, RelativeDifference(sequential[k].Latent, batched[k].Latent));
            largest = Math.Max(largest, RelativeDifference(sequential[k].NoiseMaps, batched[k].NoiseMaps));
        }
        return new ThroughputReport(new ThroughputRun(batched, batchedWall), new ThroughputRun(sequential, sequentialWall), largest,
            callsAfter - callsBefore, elementsAfter - elementsBefore);
    }

    private static ThroughputJob Job(string image, TimeSpan latency, InversionResult result) =>
        new(image, latency, result.Nfe, result.Inversion.Latent, result.Inversion.NoiseMaps.Data);

    private static double RelativeDifference(float[] expected, float[] actual)
    {
        if (expected.Length != actual.Length) return double.PositiveInfinity;
        if (expected.Length == 0) return 0;
        double norm = TensorPrimitives.Norm<float>(expected);
        return norm == 0 ? TensorPrimitives.Norm<float>(actual) : TensorPrimitives.Distance<float>(expected, actual) / norm;
    }
}
