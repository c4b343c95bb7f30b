using ReNoise.Engine.Schedulers;
using static ReNoise.Engine.Tests.Schedulers.SchedulerTestData;

namespace ReNoise.Engine.Tests.Schedulers;

public class SchedulerFactoryTests
{
    [Theory]
    [InlineData("ddim", typeof(DdimScheduler))]
    [InlineData("euler-ancestral", typeof(EulerAncestralScheduler))]
    [InlineData("lcm", typeof(LcmScheduler))]
    [InlineData("Euler-Ancestral", typeof(EulerAncestralScheduler))]
    public void Create_ByName(string name, Type expected)
    {
        var s = SchedulerFactory.Create(name, LcmConfig, 4);
        Assert.IsType(expected, s);
        Assert.Equal(name.ToLowerInvariant(), s.Name);
        Assert.Equal(4, s.Timesteps.Count);
        Assert.Equal(LcmConfig, s.Config);
    }

    [Theory]
    [InlineData("DDIMScheduler", typeof(DdimScheduler))]
    [InlineData("EulerAncestralDiscreteScheduler", typeof(EulerAncestralScheduler))]
    [InlineData("LCMScheduler", typeof(LcmScheduler))]
    public void NullName_TakesTheModelsOwnScheduler(string className, Type expected)
    {
        var config = SdxlTurbo with { ClassName = className };
        Assert.IsType(expected, SchedulerFactory.Create(null, config, 4));
        SchedulerFactory.DefaultNameFor(config, out bool isFallback);
        Assert.False(isFallback);
    }

    [Theory]
    [InlineData("PNDMScheduler")]
    [InlineData("EulerDiscreteScheduler")]
    [InlineData(null)]
    public void OtherClasses_FallBackToDdim_AndSaySo(string? className)
    {
        var config = Sd15 with { ClassName = className };
        Assert.Equal("ddim", SchedulerFactory.DefaultNameFor(config, out bool isFallback));
        Assert.True(isFallback);
        var s = SchedulerFactory.Create(null, config, 50);
        Assert.IsType<DdimScheduler>(s);
        Assert.Equal(981, s.Timesteps[0]);
    }

    [Fact]
    public void UnknownName_ListsTheValidOnes()
    {
        var ex = Assert.Throws<ReNoiseInputException>(() => SchedulerFactory.Create("dpm++", Sd15, 4));
        Assert.Contains("dpm++", ex.Message);
        foreach (string name in SchedulerNames.All) Assert.Contains(name, ex.Message);
        Assert.Equal(new[] { "ddim", "euler-ancestral", "lcm" }, SchedulerNames.All);
    }

    [Fact]
    public void BadStepCounts_AreInputErrors()
    {
        Assert.Equal("steps must be at least 1",
            Assert.Throws<ReNoiseInputException>(() => SchedulerFactory.Create("euler-ancestral", SdxlTurbo, 0)).Message);
        Assert.Throws<ReNoiseInputException>(() => SchedulerFactory.Create("lcm", LcmConfig, 51));
        Assert.Throws<ReNoiseInputException>(() => SchedulerFactory.Create("ddim", Sd15, 1001));
    }
}
