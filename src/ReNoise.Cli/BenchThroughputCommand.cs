using System.CommandLine;
using System.Globalization;
using ReNoise.Cli.Bench;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;

namespace ReNoise.Cli;

/// <summary>
/// `renoise bench-throughput`: the same N inversions all at once with cross-job batching and one after
/// another, on one model; per-job latency, jobs per minute, and whether both gave the same inversions.
/// </summary>
internal static class BenchThroughputCommand
{
    public static Command Create(TextWriter stdout)
    {
        var model = CliApp.Required<string>("--model", "model folder (diffusers/Optimum ONNX layout)");
        var images = CliApp.Required<string>("--images", "folder of images; job k inverts image k (cycling)");
        var concurrency = CliApp.Required<int>("--concurrency", $"N: inversions run at once (batched), then one after another; 1..{ModelLoadOptions.MaxBatchJobs}");
        var prompt = CliApp.Optional<string>("--prompt", "one prompt for every image (default: captions.json in --images)");
        var preset = CliApp.Optional<string>("--preset", $"{string.Join(" | ", ModelPreset.Names)}: the settings of every inversion (default auto: from the model folder)");
        var providers = new ProviderOptions();

        var command = new Command("bench-throughput", "Compare N inversions batched together with the same N run one after another.");
        foreach (var o in new Option[] { model, images, concurrency, prompt, preset }) command.Options.Add(o);
        providers.AddTo(command);

        command.SetAction(p =>
        {
            int n = p.GetValue(concurrency);
            if (n is < 1 or > ModelLoadOptions.MaxBatchJobs)
                throw new ReNoiseInputException($"--concurrency must be from 1 to {ModelLoadOptions.MaxBatchJobs}, got {n}");
            var benchImages = BenchImages.Discover(p.GetValue(images)!, null, p.GetValue(prompt));
            // One model, loaded to batch N jobs: the sequential run uses the same sessions, one job at a time.
            using var diffusionModel = DiffusionModel.Load(p.GetValue(model)!, providers.LoadOptions(p) with { BatchJobs = n });
            ModelPreset chosen = ModelPreset.Resolve(p.GetValue(preset), diffusionModel.Layout);
            var pipeline = new InversionPipeline(diffusionModel);
            var report = new ThroughputRunner(pipeline).Run(benchImages, chosen.ParametersFor(diffusionModel.Layout), n);

            CliApp.PrintWarnings(stdout, diffusionModel.Warnings);
            stdout.WriteLine($"bench-throughput: {n} inversion(s) with preset {chosen.Name} on {diffusionModel.ExecutionProvider}");
            Print(stdout, $"batched ({n} at once)", report.Batched);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  UNet calls: {report.BatchedCalls} carrying {report.BatchedElements} batch elements ({(report.BatchedCalls == 0 ? 0 : (double)report.BatchedElements / report.BatchedCalls):F2} per call)"));
            Print(stdout, "sequential", report.Sequential);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"largest relative difference between the two runs: {report.LargestDifference:E2} (tolerance {ThroughputReport.Tolerance:E0})"));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"throughput: {report.Batched.JobsPerMinute:F1} jobs/min batched, {report.Sequential.JobsPerMinute:F1} sequential, outputs match: {(report.OutputsMatch ? "yes" : "no")}"));
            return report.OutputsMatch ? 0 : CliApp.Failure;
        });
        return command;
    }

    private static void Print(TextWriter stdout, string title, ThroughputRun run)
    {
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{title}: {run.Wall.TotalSeconds:F2} s, {run.JobsPerMinute:F1} jobs/min"));
        foreach (var job in run.Jobs)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {job.Image,-24} done at {job.Latency.TotalMilliseconds,9:F1} ms  nfe {job.Nfe}"));
    }
}
