using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.IO;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Inversion;

/// <summary>InversionPipeline.Plan: the one place that builds the schedule and counts model calls.</summary>
public sealed class InversionPlanTests : IDisposable
{
    private readonly DiffusionModel _turbo = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });

    public void Dispose() => _turbo.Dispose();

    private InversionPlan Plan(InversionParameters parameters, string prompt = "a cup of coffee") =>
        new InversionPipeline(_turbo).Plan(new InversionRequest { Prompt = prompt, Parameters = parameters });

    [Theory]
    [InlineData(null, "euler-ancestral", 40)]               // spec §5: 6 + 1 for t = 249, 10 + 1 for the others
    [InlineData("ddim", "ddim", 36)]                          // no correction call on a deterministic sampler
    public void Model_calls_are_counted_as_the_spec_counts_them(string? scheduler, string name, int calls)
    {
        var plan = Plan(InversionParameters.Default with { Scheduler = scheduler });
        Assert.Equal(name, plan.Scheduler);
        Assert.Equal(calls, plan.ModelCalls);
        Assert.False(plan.IsAdaptive);
        Assert.Equal(4, plan.ReconstructionCalls);
        Assert.Equal([999, 749, 499, 249], plan.Timesteps);
        Assert.Equal([249, 499, 749, 999], plan.InvertedTimesteps);
    }

    [Fact]
    public void The_plan_counts_exactly_the_calls_the_run_makes()
    {
        foreach (var parameters in new[]
                 {
                     InversionParameters.Default with { RenoiseSteps = 3, NoiseCorrection = NoiseCorrectionMode.Off },
                     InversionParameters.Default with { Strength = 0.5, RegularizationSteps = 0 },
                     InversionParameters.Default with { Scheduler = "ddim", InversionSteps = 6, RenoiseSteps = 2, RegularizationSteps = 0 },
                 })
        {
            var pipeline = new InversionPipeline(_turbo);
            var plan = pipeline.Plan(new InversionRequest { Prompt = "a cup", Parameters = parameters });
            var result = pipeline.Invert(plan, ImageLoader.Load(Path.Combine(TestPaths.Fixtures, "images", "coffee.png"), plan.Width, plan.Height));
            Assert.Equal(plan.ModelCalls, result.Nfe);
            Assert.Equal(plan.StepCount, result.Inversion.StepCount);
        }
    }

    [Fact]
    public void An_adaptive_plan_counts_the_most_calls_it_can_make()
    {
        var plan = Plan(InversionParameters.Default with { RenoiseTolerance = 0.1 });
        Assert.True(plan.IsAdaptive);
        Assert.Equal(40, plan.ModelCalls);
    }

    [Fact]
    public void Strength_starts_the_schedule_later()
    {
        var plan = Plan(InversionParameters.Default with { Strength = 0.5 });
        Assert.Equal(2, plan.StartIndex);
        Assert.Equal(2, plan.StepCount);
        Assert.Equal([249, 499], plan.InvertedTimesteps);
        Assert.Equal(6 + 1 + 10 + 1, plan.ModelCalls);
    }

    [Fact]
    public void The_working_size_defaults_to_the_models_and_gives_the_latent_shape()
    {
        var plan = Plan(InversionParameters.Default);
        Assert.Equal((128, 128), (plan.Width, plan.Height));
        Assert.Equal((128, 128), (plan.Parameters.Width, plan.Parameters.Height));
        Assert.Equal("euler-ancestral", plan.Parameters.Scheduler);
        var wide = Plan(InversionParameters.Default with { Width = 192, Height = 64 });
        Assert.Equal(new ReNoise.Engine.Tensors.LatentShape(4, 8, 24), wide.Shape);
    }

    [Fact]
    public void Bad_parameters_come_back_as_problems_all_at_once_before_any_work()
    {
        var e = Assert.Throws<ReNoiseInputException>(() => Plan(InversionParameters.Default with { RenoiseSteps = 100000, RegularizationSteps = 10000 }));
        Assert.Equal([ParameterKey.RenoiseSteps, ParameterKey.RegularizationSteps], e.Problems.Select(p => p.Key));
    }

    [Fact]
    public void A_strength_that_inverts_nothing_is_a_strength_problem()
    {
        var e = Assert.Throws<ReNoiseInputException>(() => Plan(InversionParameters.Default with { Strength = 0.1 }));
        var problem = Assert.Single(e.Problems);
        Assert.Equal(ParameterKey.Strength, problem.Key);
    }

    [Fact]
    public void Steps_beyond_the_models_training_timesteps_are_refused_by_the_plan()
    {
        // The fixture's scheduler has num_train_timesteps 1000, the parameters' own bound too; a model with
        // fewer (checked here through the config) would refuse earlier.
        Assert.Equal(1000, _turbo.SchedulerConfig.NumTrainTimesteps);
        var plan = Plan(InversionParameters.Default with { Scheduler = "ddim", InversionSteps = 1000, RenoiseSteps = 0, RegularizationSteps = 0 });
        Assert.Equal(1000, plan.StepCount);
    }

    [Fact]
    public void More_steps_than_the_lcm_schedule_holds_is_a_step_count_problem_in_plain_words()
    {
        var e = Assert.Throws<ReNoiseInputException>(() => Plan(InversionParameters.Default with { Scheduler = "lcm", InversionSteps = 60 }));
        var problem = Assert.Single(e.Problems);
        Assert.Equal(ParameterKey.InversionSteps, problem.Key);
        Assert.Equal((1.0, 50.0), (problem.Min, problem.Max));
        Assert.Equal("must be at most 50 with the lcm scheduler (its distilled schedule has 50 steps), got 60", problem.Message);
        Assert.DoesNotContain("original_inference_steps", e.Message);
    }

    [Fact]
    public void The_prompt_is_counted_before_the_run_and_a_long_one_is_a_warning()
    {
        var plan = Plan(InversionParameters.Default);
        Assert.Equal(75, plan.PromptTokenLimit);
        Assert.InRange(plan.PromptTokens, 1, 75);
        Assert.False(plan.PromptTruncated);

        var longPlan = Plan(InversionParameters.Default, string.Join(' ', Enumerable.Repeat("a photo of a cat on a sofa", 20)));
        Assert.True(longPlan.PromptTruncated);
        Assert.Contains(longPlan.Warnings, w => w.Contains("more than the 75 the text encoder reads"));
    }

    [Fact]
    public void Supplied_noise_of_the_wrong_shape_is_refused_by_the_plan()
    {
        var e = Assert.Throws<ReNoiseInputException>(() => new InversionPipeline(_turbo).Plan(new InversionRequest
        {
            Prompt = "a cup",
            ForwardNoise = new NpyArray(new float[4 * 8 * 8], [1, 4, 8, 8]),
        }));
        Assert.Equal("forward_noise.npy has shape [1,4,8,8]; this run needs [1,4,16,16]", e.Message);
    }

    [Fact]
    public void A_plan_runs_only_on_its_own_model_and_size()
    {
        var plan = Plan(InversionParameters.Default);
        using var other = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cpu });
        var photo = ImageLoader.Load(Path.Combine(TestPaths.Fixtures, "images", "coffee.png"), 128, 128);
        Assert.Throws<ArgumentException>(() => new InversionPipeline(other).Invert(plan, photo));
        Assert.Throws<ArgumentException>(() => new InversionPipeline(_turbo).Invert(plan, ImageLoader.Load(Path.Combine(TestPaths.Fixtures, "images", "coffee.png"), 64, 64)));
    }
}
