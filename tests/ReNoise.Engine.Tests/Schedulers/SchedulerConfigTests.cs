using ReNoise.Engine.Schedulers;
using static ReNoise.Engine.Tests.Schedulers.SchedulerTestData;

namespace ReNoise.Engine.Tests.Schedulers;

public class SchedulerConfigTests
{
    [Fact]
    public void EmptyObject_GivesDiffusersDefaults()
    {
        var config = SchedulerConfig.Parse("{}");
        Assert.Null(config.ClassName);
        Assert.Equal(1000, config.NumTrainTimesteps);
        Assert.Equal(0.0001, config.BetaStart);
        Assert.Equal(0.02, config.BetaEnd);
        Assert.Equal(BetaSchedule.Linear, config.BetaSchedule);
        Assert.Null(config.TrainedBetas);
        Assert.Equal(PredictionType.Epsilon, config.PredictionType);
        Assert.Null(config.TimestepSpacing);
        Assert.Equal(0, config.StepsOffset);
        Assert.True(config.SetAlphaToOne);
        Assert.Equal(50, config.OriginalInferenceSteps);
        Assert.Equal(10.0, config.TimestepScaling);
    }

    [Fact]
    public void RealConfigs_AreRead_AndUnknownKeysIgnored()
    {
        var sd = Sd15;
        Assert.Equal("PNDMScheduler", sd.ClassName);
        Assert.Equal(BetaSchedule.ScaledLinear, sd.BetaSchedule);
        Assert.Equal(0.00085, sd.BetaStart);
        Assert.Equal(0.012, sd.BetaEnd);
        Assert.Equal(1, sd.StepsOffset);
        Assert.False(sd.SetAlphaToOne);
        Assert.Null(sd.TimestepSpacing);

        var turbo = SdxlTurbo;
        Assert.Equal("EulerAncestralDiscreteScheduler", turbo.ClassName);
        Assert.Equal(TimestepSpacing.Trailing, turbo.TimestepSpacing);

        var lcm = LcmConfig;
        Assert.Equal("LCMScheduler", lcm.ClassName);
        Assert.Equal(50, lcm.OriginalInferenceSteps);
        Assert.Equal(10.0, lcm.TimestepScaling);
        Assert.Equal(TimestepSpacing.Leading, lcm.TimestepSpacing);

        var v = SchedulerConfig.Parse("""{"prediction_type": "v_prediction", "num_train_timesteps": 1000.0, "timestep_scaling": 5}""");
        Assert.Equal(PredictionType.VPrediction, v.PredictionType);
        Assert.Equal(1000, v.NumTrainTimesteps);
        Assert.Equal(5.0, v.TimestepScaling);
    }

    [Fact]
    public void MissingSpacing_TakesTheSchedulerClassDefault()
    {
        var config = SchedulerConfig.Parse("""{"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012}""");
        Assert.Equal(new[] { 750, 500, 250, 0 }, new DdimScheduler(config, 4).Timesteps);            // leading
        Assert.Equal(new[] { 999, 666, 333, 0 }, new EulerAncestralScheduler(config, 4).Timesteps); // linspace
        Assert.Equal(TimestepSpacing.Trailing, config.SpacingOr(TimestepSpacing.Trailing));
    }

    [Theory]
    [InlineData("""{"beta_schedule": "squaredcos_cap_v2"}""", "squaredcos_cap_v2")]
    [InlineData("""{"prediction_type": "sample"}""", "\"sample\" is not supported")]
    [InlineData("""{"prediction_type": "flow"}""", "flow")]
    [InlineData("""{"timestep_spacing": "karras"}""", "karras")]
    [InlineData("""{"num_train_timesteps": "many"}""", "num_train_timesteps must be an integer")]
    [InlineData("""{"num_train_timesteps": 0}""", "num_train_timesteps")]
    [InlineData("""{"steps_offset": 0.5}""", "steps_offset")]
    [InlineData("""{"set_alpha_to_one": "yes"}""", "set_alpha_to_one")]
    [InlineData("""{"trained_betas": [0.1, 0.2]}""", "trained_betas has 2 values")]
    [InlineData("""{"original_inference_steps": 0}""", "original_inference_steps")]
    [InlineData("""[1, 2]""", "JSON object")]
    [InlineData("""{"beta_start": 0.001,""", "not valid JSON")]
    public void BadConfigs_AreInputErrorsNamingTheProblem(string json, string expectedFragment)
    {
        var ex = Assert.Throws<ReNoiseInputException>(() => SchedulerConfig.Parse(json));
        Assert.Contains(expectedFragment, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Load_ReadsAFile_AndNamesThePathWhenItIsBad()
    {
        string dir = Path.Combine(Path.GetTempPath(), "renoise-scheduler-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string good = Path.Combine(dir, "scheduler_config.json");
            File.WriteAllText(good, SdxlTurboJson);
            Assert.Equal(SdxlTurbo, SchedulerConfig.Load(good));

            string bad = Path.Combine(dir, "broken.json");
            File.WriteAllText(bad, "{ \"beta_start\": ");
            var ex = Assert.Throws<ReNoiseInputException>(() => SchedulerConfig.Load(bad));
            Assert.Contains(bad, ex.Message);
            Assert.Contains("not valid JSON", ex.Message);

            string missing = Path.Combine(dir, "nope.json");
            Assert.Contains(missing, Assert.Throws<ReNoiseInputException>(() => SchedulerConfig.Load(missing)).Message);

            File.WriteAllText(bad, """{"beta_schedule": "cosine"}""");
            var named = Assert.Throws<ReNoiseInputException>(() => SchedulerConfig.Load(bad));
            Assert.Contains(bad, named.Message);
            Assert.Contains("cosine", named.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
