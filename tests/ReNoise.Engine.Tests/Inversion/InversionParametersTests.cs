using ReNoise.Engine.Inversion;

namespace ReNoise.Engine.Tests.Inversion;

/// <summary>The one parameter model: its defaults, its bounds, and problems that name parameters, never front ends' words.</summary>
public sealed class InversionParametersTests
{
    [Fact]
    public void The_defaults_are_the_papers_sdxl_turbo_settings_and_valid()
    {
        var p = InversionParameters.Default;
        Assert.Equal((4, 9, 5, 1.0), (p.InversionSteps, p.RenoiseSteps, p.FirstStepRenoiseCap, p.Strength));
        Assert.Equal((new AveragingWindow(0, 5), new AveragingWindow(8, 10)), (p.AverageFirstStep, p.AverageOtherSteps));
        Assert.Equal((20.0, 0.065, 4, 5), (p.LambdaAc, p.LambdaKl, p.RegularizationSteps, p.AcRolls));
        Assert.Equal(7865, p.Seed);
        Assert.Null(p.Scheduler);
        Assert.Empty(p.Validate());
    }

    [Theory]
    [InlineData(nameof(InversionParameters.InversionSteps), 0, "must be at least 1, got 0")]
    [InlineData(nameof(InversionParameters.InversionSteps), 1001, "must be at most 1000, got 1001")]
    [InlineData(nameof(InversionParameters.RenoiseSteps), 100000, "must be at most 100, got 100000")]
    [InlineData(nameof(InversionParameters.RenoiseSteps), -1, "must be at least 0, got -1")]
    [InlineData(nameof(InversionParameters.RegularizationSteps), 10000, "must be at most 100, got 10000")]
    [InlineData(nameof(InversionParameters.AcRolls), 101, "must be at most 100, got 101")]
    [InlineData(nameof(InversionParameters.AndersonDepth), 9, "must be at most 8, got 9")]
    public void Whole_numbers_outside_their_range_are_problems_with_the_range(string name, int value, string message)
    {
        var key = Enum.Parse<ParameterKey>(name);
        var parameters = key switch
        {
            ParameterKey.InversionSteps => InversionParameters.Default with { InversionSteps = value },
            ParameterKey.RenoiseSteps => InversionParameters.Default with { RenoiseSteps = value },
            ParameterKey.RegularizationSteps => InversionParameters.Default with { RegularizationSteps = value },
            ParameterKey.AcRolls => InversionParameters.Default with { AcRolls = value },
            _ => InversionParameters.Default with { AndersonDepth = value },
        };
        var problem = Assert.Single(parameters.Validate());
        Assert.Equal(key, problem.Key);
        Assert.Equal(message, problem.Message);
        Assert.Equal(InversionParameters.RangeOf(key), (problem.Min!.Value, problem.Max!.Value));
    }

    [Theory]
    [InlineData(1e9)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Guidance_is_a_finite_number_up_to_its_limit(double guidance)
    {
        var problem = Assert.Single((InversionParameters.Default with { InversionGuidance = guidance }).Validate());
        Assert.Equal(ParameterKey.InversionGuidance, problem.Key);
        Assert.StartsWith("must be a number from 0 to 30, got ", problem.Message);
    }

    [Theory]
    [InlineData(500, "must be a multiple of 8 from 8 to 2048 pixels, got 500")]
    [InlineData(4096, "must be a multiple of 8 from 8 to 2048 pixels, got 4096")]
    [InlineData(0, "must be a multiple of 8 from 8 to 2048 pixels, got 0")]
    public void The_working_size_is_bounded(int width, string message)
    {
        var problem = Assert.Single((InversionParameters.Default with { Width = width, Height = 512 }).Validate());
        Assert.Equal((ParameterKey.Width, message), (problem.Key, problem.Message));
    }

    [Theory]
    [InlineData(-1, 5, "must start at 0 or later, got -1:5")]
    [InlineData(5, 5, "must start before it ends, got 5:5")]
    [InlineData(0, 500, "must end at 101 or earlier, got 0:500")]
    public void Averaging_windows_are_checked(int start, int end, string message)
    {
        var problem = Assert.Single((InversionParameters.Default with { AverageOtherSteps = new AveragingWindow(start, end) }).Validate());
        Assert.Equal((ParameterKey.AverageOtherSteps, message), (problem.Key, problem.Message));
    }

    [Fact]
    public void Every_problem_is_reported_at_once_and_the_exception_carries_them()
    {
        var parameters = InversionParameters.Default with { InversionSteps = 0, LambdaKl = -1, Scheduler = "heun", Strength = 2 };
        var problems = parameters.Validate();
        Assert.Equal([ParameterKey.InversionSteps, ParameterKey.Strength, ParameterKey.LambdaKl, ParameterKey.Scheduler], problems.Select(p => p.Key));

        var e = Assert.Throws<ReNoiseInputException>(parameters.EnsureValid);
        Assert.Equal(problems, e.Problems);
        Assert.Equal("InversionSteps must be at least 1, got 0; Strength must be in (0, 1], got 2; " +
                     "LambdaKl must be a number from 0 to 100, got -1; Scheduler must be one of ddim, euler-ancestral, lcm, got 'heun'", e.Message);
        Assert.StartsWith("<InversionSteps> must be at least 1", e.Describe(k => $"<{k}>"));
    }

    [Fact]
    public void No_message_of_the_engine_names_a_command_line_flag()
    {
        var wrong = InversionParameters.Default with
        {
            InversionSteps = 0, RenoiseSteps = -1, FirstStepRenoiseCap = -1, Strength = 0, AverageFirstStep = new(3, 1),
            AverageOtherSteps = new(-1, 2), InversionGuidance = -1, LambdaAc = -1, LambdaKl = -1, RegularizationSteps = -1, AcRolls = 0,
            RenoiseTolerance = -1, AndersonDepth = 0, Scheduler = "x", Width = 3, Height = 3, LcmGuidanceScale = -1,
        };
        var problems = wrong.Validate();
        Assert.True(problems.Count >= 15, $"{problems.Count} problems");
        Assert.All(problems, p => Assert.DoesNotContain("--", p.Message));
    }

    [Fact]
    public void The_loop_checks_only_the_domain_so_measurements_may_go_past_the_limits()
    {
        var many = InversionParameters.Default with { RenoiseSteps = 600, FirstStepRenoiseCap = 600 };
        Assert.NotEmpty(many.Validate());
        Assert.Empty(many.Validate(withLimits: false));
        Assert.NotEmpty((many with { RenoiseSteps = -1 }).Validate(withLimits: false));
    }
}
