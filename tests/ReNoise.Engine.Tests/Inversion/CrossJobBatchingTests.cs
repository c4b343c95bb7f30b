using System.Numerics.Tensors;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Inversion;

/// <summary>
/// Cross-job batching: jobs running at once on a model loaded with BatchJobs share their UNet calls,
/// and each gets what it would have got alone (floating-point tolerance), whatever the sampler.
/// </summary>
public sealed class CrossJobBatchingTests
{
    // Batched ONNX Runtime kernels round differently in the last bits (~1e-7 relative on the fixtures).
    private const double Tolerance = 1e-5;

    private static readonly string[] Photos = ["coffee.png", "astronaut.png", "chelsea.png"];
    private static readonly string[] Prompts = ["a cup of coffee", "a photo of an astronaut", "a photo of a cat"];

    private static ModelLoadOptions Options(int batchJobs) =>
        new() { ExecutionProvider = ExecutionProvider.Cpu, BatchJobs = batchJobs, BatchLinger = TimeSpan.FromSeconds(1) };

    private static RgbImage Photo(int job, int size) => ImageLoader.Load(Path.Combine(TestPaths.Fixtures, "images", Photos[job]), size, size);

    /// <summary>Job k's request: its own prompt, seed and (for some) settings, so the batch mixes different work.</summary>
    private static InversionRequest Request(int job, InversionParameters parameters) => new()
    {
        Prompt = Prompts[job],
        Parameters = parameters with { Seed = parameters.Seed + job, RenoiseSteps = parameters.RenoiseSteps + job % 2 },
    };

    private static InversionResult[] Alone(string fixture, InversionParameters parameters, int jobs)
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(fixture), Options(1));
        var pipeline = new InversionPipeline(model);
        return Enumerable.Range(0, jobs).Select(j =>
        {
            var plan = pipeline.Plan(Request(j, parameters));
            return pipeline.Invert(plan, Photo(j, plan.Width));
        }).ToArray();
    }

    private static (InversionResult[] Results, long Calls, long Elements) Together(string fixture, InversionParameters parameters, int jobs)
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(fixture), Options(jobs));
        var pipeline = new InversionPipeline(model);
        var results = new InversionResult[jobs];
        using var start = new Barrier(jobs);
        var threads = Enumerable.Range(0, jobs).Select(j => new Thread(() =>
        {
            var plan = pipeline.Plan(Request(j, parameters));
            var photo = Photo(j, plan.Width);
            start.SignalAndWait();
            results[j] = pipeline.Invert(plan, photo);
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        var (calls, elements) = model.Batcher!.Stats;
        return (results, calls, elements);
    }

    private static void AssertSameInversion(InversionResult expected, InversionResult actual, string what, double tolerance = Tolerance)
    {
        Assert.Equal(expected.Nfe, actual.Nfe);
        AssertClose(expected.Inversion.Latent, actual.Inversion.Latent, $"{what}: latent", tolerance);
        AssertClose(expected.Inversion.NoiseMaps.Data, actual.Inversion.NoiseMaps.Data, $"{what}: noise maps", tolerance);
        for (int k = 0; k < expected.Trajectory.Count; k++)
            AssertClose(expected.Trajectory[k], actual.Trajectory[k], $"{what}: trajectory[{k}]", tolerance);
        Assert.Equal(expected.Psnr, actual.Psnr, 2);
    }

    private static void AssertClose(float[] expected, float[] actual, string what, double tolerance = Tolerance)
    {
        if (expected.Length == 0 && actual.Length == 0) return;
        double error = TensorPrimitives.Distance<float>(expected, actual) / Math.Max(1e-12, TensorPrimitives.Norm<float>(expected));
        Assert.True(error <= tolerance, $"{what}: relative difference {error:E2}");
    }

    [Theory]
    [InlineData("tiny-sd-turbo", "euler-ancestral", 4, Tolerance)]   // stochastic, noise correction, regularized (the defaults)
    [InlineData("tiny-sd-turbo", "euler-ancestral", 0, Tolerance)]
    // DDIM's last inverse step at t = 1 with the regularization is ill-conditioned on the fixture's
    // closed-form UNet (see the closing notes): 1e-7 differences grow to ~1e-4 there.
    [InlineData("tiny-sd-turbo", "ddim", 4, 1e-3)]
    [InlineData("tiny-sd-turbo", "ddim", 0, Tolerance)]
    [InlineData("tiny-lcm", "lcm", 0, Tolerance)]                    // LCM: timestep_cond per element
    [InlineData("tiny-sd15-ddim", "ddim", 0, Tolerance)]             // a scalar timestep: batched per timestep
    [InlineData("tiny-sdxl-turbo", "euler-ancestral", 4, Tolerance)] // SDXL: text_embeds and time_ids per element
    public void Jobs_batched_together_equal_the_same_jobs_run_alone(string fixture, string scheduler, int regularizationSteps, double tolerance)
    {
        var parameters = InversionParameters.Default with { Scheduler = scheduler, RegularizationSteps = regularizationSteps, RenoiseSteps = 4 };
        var alone = Alone(fixture, parameters, 3);
        var (together, calls, elements) = Together(fixture, parameters, 3);

        for (int j = 0; j < 3; j++) AssertSameInversion(alone[j], together[j], $"{fixture} {scheduler} job {j}", tolerance);
        // The calls were shared: fewer UNet runs than the jobs' model calls, several jobs' elements in each.
        long jobCalls = together.Sum(r => r.Nfe + r.Plan.ReconstructionCalls);
        Assert.True(calls < jobCalls, $"{calls} batched calls for {jobCalls} job calls");
        Assert.True(elements > calls, $"{elements} elements in {calls} calls");
    }

    [Fact]
    public void A_job_that_is_cancelled_leaves_the_batch_and_the_others_finish_as_alone()
    {
        var parameters = InversionParameters.Default with { RenoiseSteps = 4 };
        var alone = Alone("tiny-sd-turbo", parameters, 3);
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Options(3));
        var pipeline = new InversionPipeline(model);
        var results = new InversionResult?[3];
        Exception? cancelled = null;
        using var cts = new CancellationTokenSource();
        var threads = Enumerable.Range(0, 3).Select(j => new Thread(() =>
        {
            var plan = pipeline.Plan(Request(j, parameters));
            try
            {
                results[j] = pipeline.Invert(plan, Photo(j, plan.Width),
                    p => { if (j == 1 && p.Nfe == 5) cts.Cancel(); }, j == 1 ? cts.Token : CancellationToken.None);
            }
            catch (OperationCanceledException e)
            {
                cancelled = e;
            }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a job waited for one that had left");

        Assert.NotNull(cancelled);
        Assert.Null(results[1]);
        AssertSameInversion(alone[0], results[0]!, "job 0");
        AssertSameInversion(alone[2], results[2]!, "job 2");
    }

    [Fact]
    public void A_job_that_starts_while_others_run_joins_them()
    {
        var parameters = InversionParameters.Default with { RenoiseSteps = 4 };
        var alone = Alone("tiny-sd-turbo", parameters, 2);
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Options(2));
        var pipeline = new InversionPipeline(model);
        var results = new InversionResult[2];
        using var firstStepDone = new ManualResetEventSlim();
        var first = new Thread(() =>
        {
            var plan = pipeline.Plan(Request(0, parameters));
            results[0] = pipeline.Invert(plan, Photo(0, plan.Width), p => { if (p.StepCompleted && p.Step == 1) firstStepDone.Set(); });
        });
        var second = new Thread(() =>
        {
            firstStepDone.Wait();
            var plan = pipeline.Plan(Request(1, parameters));
            results[1] = pipeline.Invert(plan, Photo(1, plan.Width));
        });
        first.Start();
        second.Start();
        first.Join();
        second.Join();

        AssertSameInversion(alone[0], results[0], "the first job");
        AssertSameInversion(alone[1], results[1], "the job that joined");
    }

    [Fact]
    public void Edits_batch_with_inversions()
    {
        var parameters = InversionParameters.Default with { RenoiseSteps = 4 };
        using var single = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Options(1));
        var source = new InversionPipeline(single).Invert(Request(0, parameters), Photo(0, 128));
        var expectedEdit = new InversionPipeline(single).Denoise(source.Inversion, "a cup of tea", 2.0);
        var expectedInversion = new InversionPipeline(single).Invert(Request(1, parameters), Photo(1, 128));

        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Options(2));
        var pipeline = new InversionPipeline(model);
        DenoiseResult? edit = null;
        InversionResult? inversion = null;
        var a = new Thread(() => edit = pipeline.Denoise(source.Inversion, "a cup of tea", 2.0));
        var b = new Thread(() => inversion = pipeline.Invert(Request(1, parameters), Photo(1, 128)));
        a.Start();
        b.Start();
        a.Join();
        b.Join();

        AssertClose(expectedEdit.Latent, edit!.Latent, "edit");
        AssertSameInversion(expectedInversion, inversion!, "inversion");
    }

    [Fact]
    public void A_model_that_batches_runs_a_lone_job_without_waiting_for_others()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), Options(4) with { BatchLinger = TimeSpan.FromSeconds(1) });
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = new InversionPipeline(model).Invert(Request(0, InversionParameters.Default), Photo(0, 128));
        // 44 calls: a call that waited its linger for company that never comes would take 44 s.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"{started.Elapsed}");
        Assert.Equal(40, result.Nfe);
        Assert.Equal((44L, 44L + 4 * 1), (model.Batcher!.Stats.Calls, model.Batcher.Stats.Elements)); // the first call of each step is a pair
    }
}
