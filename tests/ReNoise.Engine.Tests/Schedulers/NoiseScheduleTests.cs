using ReNoise.Engine.Schedulers;
using static ReNoise.Engine.Tests.Schedulers.SchedulerTestData;

namespace ReNoise.Engine.Tests.Schedulers;

public class NoiseScheduleTests
{
    [Fact]
    public void ScaledLinearAlphasCumprod_MatchesDirectProduct_AndKnownSdValue()
    {
        var ac = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(Sd15));
        Assert.Equal(1000, ac.Length);

        // Independent: betas as the spec writes them, product accumulated term by term.
        double s0 = Math.Sqrt(0.00085), s1 = Math.Sqrt(0.012), product = 1;
        for (int i = 0; i < 1000; i++)
        {
            double root = s0 + (s1 - s0) * i / 999.0;
            product *= 1 - root * root;
            Assert.Equal(product, ac[i], product * 1e-12);
        }

        // diffusers' (float32) value is 0.0046601; 4 significant digits.
        Assert.Equal(0.004660, ac[999], 6);
        Assert.Equal(0.0046601, ac[999], 1e-8);
    }

    [Fact]
    public void LinearBetas_RunFromBetaStartToBetaEnd()
    {
        var config = SchedulerConfig.Parse("""{"beta_schedule": "linear"}""");
        var betas = NoiseSchedule.Betas(config);
        Assert.Equal(1000, betas.Length);
        Assert.Equal(0.0001, betas[0], 15);
        Assert.Equal(0.02, betas[999], 15);
        Assert.Equal(0.0001 + 500 * (0.02 - 0.0001) / 999, betas[500], 1e-15);
    }

    [Fact]
    public void TrainedBetas_ReplaceTheSchedule()
    {
        var config = SchedulerConfig.Parse("""{"num_train_timesteps": 3, "trained_betas": [0.1, 0.2, 0.5], "beta_schedule": "scaled_linear"}""");
        var ac = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(config));
        Assert.Equal(0.9, ac[0], 1e-15);
        Assert.Equal(0.9 * 0.8, ac[1], 1e-15);
        Assert.Equal(0.9 * 0.8 * 0.5, ac[2], 1e-15);
    }

    [Fact]
    public void EulerSigmas_SpanTheKnownSdRange()
    {
        // linspace over 4 steps visits t = 999 and t = 0.
        var euler = new EulerAncestralScheduler(SdxlTurbo with { TimestepSpacing = TimestepSpacing.Linspace }, 4);
        Assert.Equal([999, 666, 333, 0], euler.Timesteps);
        Assert.Equal(14.6146, euler.Sigmas[0], 4);
        Assert.Equal(0.0292, euler.Sigmas[3], 4);
        Assert.Equal(0.0, euler.Sigmas[4]);
        for (int i = 0; i < 4; i++)
        {
            double a = euler.AlphasCumprod[euler.Timesteps[i]];
            Assert.Equal(Math.Sqrt((1 - a) / a), euler.Sigmas[i], 1e-12);
        }
    }

    [Fact]
    public void Leading_Sd15FiftySteps_Is981DownTo1()
    {
        var expected = Enumerable.Range(0, 50).Select(k => 981 - 20 * k).ToArray();
        Assert.Equal(expected, NoiseSchedule.Timesteps(TimestepSpacing.Leading, 50, 1000, 1));
        Assert.Equal(1, expected[^1]);
    }

    [Theory]
    [InlineData(nameof(TimestepSpacing.Trailing), 4, new[] { 999, 749, 499, 249 })]
    [InlineData(nameof(TimestepSpacing.Trailing), 1, new[] { 999 })]
    [InlineData(nameof(TimestepSpacing.Trailing), 3, new[] { 999, 666, 332 })]
    // 1000/16 = 62.5: numpy rounds the halves to even (937.5 -> 938, 812.5 -> 812).
    [InlineData(nameof(TimestepSpacing.Trailing), 16, new[] { 999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61 })]
    [InlineData(nameof(TimestepSpacing.Linspace), 4, new[] { 999, 666, 333, 0 })]
    [InlineData(nameof(TimestepSpacing.Linspace), 3, new[] { 999, 500, 0 })]
    [InlineData(nameof(TimestepSpacing.Linspace), 1, new[] { 0 })]
    [InlineData(nameof(TimestepSpacing.Leading), 4, new[] { 750, 500, 250, 0 })]
    public void Timesteps_MatchDiffusers(string spacing, int steps, int[] expected)
    {
        Assert.Equal(expected, NoiseSchedule.Timesteps(Enum.Parse<TimestepSpacing>(spacing), steps, 1000, 0));
    }

    [Fact]
    public void Trailing_HasExactlyNSteps_WhereNumpyArangeOvershoots()
    {
        // np.arange(1000, 0, -1000/61) has 62 elements through round-off; we keep the 61 meant.
        var timesteps = NoiseSchedule.Timesteps(TimestepSpacing.Trailing, 61, 1000, 0);
        Assert.Equal(61, timesteps.Length);
        Assert.Equal(999, timesteps[0]);
        Assert.Equal((int)Math.Round(1000.0 / 61) - 1, timesteps[^1]);
        for (int i = 1; i < timesteps.Length; i++) Assert.True(timesteps[i] < timesteps[i - 1]);
    }

    [Theory]
    [InlineData(1, new[] { 999 })]
    [InlineData(2, new[] { 999, 499 })]
    [InlineData(3, new[] { 999, 679, 339 })]
    [InlineData(4, new[] { 999, 759, 499, 259 })]
    [InlineData(8, new[] { 999, 879, 759, 639, 499, 379, 259, 139 })]
    public void LcmTimesteps_MatchDiffusers(int steps, int[] expected)
    {
        Assert.Equal(expected, NoiseSchedule.LcmTimesteps(steps, 1000, 50));
        Assert.Equal(expected, new LcmScheduler(LcmConfig, steps).Timesteps);
    }

    [Fact]
    public void LcmTimesteps_FiftySteps_IsTheWholeOriginSchedule()
    {
        Assert.Equal(Enumerable.Range(0, 50).Select(j => 999 - 20 * j), NoiseSchedule.LcmTimesteps(50, 1000, 50));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void TooFewSteps_AreRejected(int steps)
    {
        var ex = Assert.Throws<ReNoiseInputException>(() => NoiseSchedule.Timesteps(TimestepSpacing.Trailing, steps, 1000, 0));
        Assert.Equal("steps must be at least 1", ex.Message);
        Assert.Equal("steps must be at least 1",
            Assert.Throws<ReNoiseInputException>(() => new LcmScheduler(LcmConfig, steps)).Message);
    }

    [Fact]
    public void TooManySteps_AreRejected()
    {
        Assert.Contains("num_train_timesteps", Assert.Throws<ReNoiseInputException>(
            () => new DdimScheduler(Sd15, 1001)).Message);
        Assert.Contains("original_inference_steps", Assert.Throws<ReNoiseInputException>(
            () => new LcmScheduler(LcmConfig, 51)).Message);
        Assert.Contains("original_inference_steps", Assert.Throws<ReNoiseInputException>(
            () => new LcmScheduler(LcmConfig with { OriginalInferenceSteps = 2000 }, 4)).Message);
        // leading with steps_offset 1 and 1000 steps would reach t = 1000.
        Assert.Contains("1000", Assert.Throws<ReNoiseInputException>(
            () => new DdimScheduler(Sd15 with { TimestepSpacing = TimestepSpacing.Leading }, 1000)).Message);
        Assert.Equal(1000, new DdimScheduler(Sd15 with { TimestepSpacing = TimestepSpacing.Trailing }, 1000).Timesteps.Count);
    }
}
