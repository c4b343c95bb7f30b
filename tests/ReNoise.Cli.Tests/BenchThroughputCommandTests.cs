using System.Text.RegularExpressions;
using ReNoise.Cli.Bench;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.TestSupport;

namespace ReNoise.Cli.Tests;

/// <summary>`renoise bench-throughput`: N inversions batched against the same N one after another.</summary>
public sealed class BenchThroughputCommandTests
{
    private static string Images => Path.Combine(TestPaths.Fixtures, "images");

    [Fact]
    public void Prints_latencies_and_throughput_for_both_runs_and_ends_with_the_summary_line()
    {
        var result = CliRunner.Run("bench-throughput", "--model", CliRunner.Model("tiny-sd-turbo"), "--images", Images,
            "--concurrency", "3", "--prompt", "a photo", "--execution-provider", "cpu");
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);

        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches(@"^throughput: \d+\.\d jobs/min batched, \d+\.\d sequential, outputs match: yes$", lines[^1]);
        Assert.Contains(lines, l => l.StartsWith("batched (3 at once): "));
        Assert.Contains(lines, l => l.StartsWith("sequential: "));
        // Three jobs in each run, every one the default 40 calls.
        Assert.Equal(6, lines.Count(l => Regex.IsMatch(l, @"\.png\s+done at\s+\d+\.\d ms\s+nfe 40$")));
        var calls = Regex.Match(result.Stdout, @"UNet calls: (\d+) carrying (\d+) batch elements");
        Assert.True(long.Parse(calls.Groups[2].Value) > long.Parse(calls.Groups[1].Value), "the batched run shared no call");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    public void A_concurrency_out_of_range_is_bad_input(string n)
    {
        var result = CliRunner.Run("bench-throughput", "--model", CliRunner.Model("tiny-sd-turbo"), "--images", Images,
            "--concurrency", n, "--prompt", "a photo");
        Assert.Equal(CliApp.BadInput, result.ExitCode);
        Assert.StartsWith($"error: --concurrency must be from 1 to 64, got {n}", result.Stderr);
    }

    [Fact]
    public void The_runner_compares_each_job_of_the_two_runs()
    {
        using var model = DiffusionModel.Load(CliRunner.Model("tiny-sd-turbo"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu, BatchJobs = 2 });
        var images = BenchImages.Discover(Images, null, "a photo");
        var report = new ThroughputRunner(new InversionPipeline(model)).Run(images, InversionParameters.Default with { RenoiseSteps = 2 }, 2);

        Assert.Equal(2, report.Batched.Jobs.Count);
        Assert.Equal(report.Batched.Jobs.Select(j => j.Image), report.Sequential.Jobs.Select(j => j.Image));
        Assert.True(report.OutputsMatch, $"difference {report.LargestDifference}");
        Assert.True(report.Sequential.Jobs[1].Latency > report.Sequential.Jobs[0].Latency, "one after another: the second ends later");
    }
}
