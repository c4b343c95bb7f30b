using System.Diagnostics;
using System.Globalization;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;

namespace ReNoise.Benchmarks;

/// <summary>
/// What a fresh process sees (<c>-- cold [inversions] [reg-steps]</c>), which BenchmarkDotNet's
/// warmed-up iterations hide: InversionPipeline.Invert on the tiny-sd-turbo fixture at 512x512
/// (CPU provider, coffee.png), repeated in one process, printing each call's engine time (wall
/// minus the time inside ONNX Runtime). Under tiered compilation a method runs unoptimized code
/// until it has been called 30 times, and much of the fixed cost is in methods called once per
/// inversion, so the first inversions of a CLI run (renoise bench) cost several times the
/// steady state.
/// </summary>
internal static class ColdPipeline
{
    public static void Run(string[] args)
    {
        int inversions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
        int regularizationSteps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 0;
        using var model = DiffusionModel.Load(RepoPaths.FixtureModel("tiny-sd-turbo"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });
        var pipeline = new InversionPipeline(model);
        var image = ImageLoader.Load(RepoPaths.FixtureImage("coffee.png"), 512, 512);
        var request = new InversionRequest
        {
            Prompt = "a cup of coffee",
            Parameters = InversionParameters.Default with { Width = 512, Height = 512, RegularizationSteps = regularizationSteps },
        };
        var engine = new double[inversions];
        for (int i = 0; i < inversions; i++)
        {
            var ort = model.OrtTime;
            long started = Stopwatch.GetTimestamp();
            pipeline.Invert(request, image);
            engine[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds - (model.OrtTime - ort).TotalMilliseconds;
        }
        Console.WriteLine($"engine ms per inversion (reg-steps {regularizationSteps}), in order:");
        Console.WriteLine(string.Join(" ", engine.Select(e => e.ToString("F1", CultureInfo.InvariantCulture))));
        var last = engine.Skip(inversions * 2 / 3).Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"first {engine[0]:F0} ms; inversions 2-11 mean {engine.Skip(1).Take(10).Average():F1} ms; last third median {last[last.Length / 2]:F1} ms, min {last[0]:F1} ms"));
    }
}
