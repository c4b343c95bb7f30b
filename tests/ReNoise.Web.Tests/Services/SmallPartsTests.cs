using ReNoise.Engine.Inversion;
using ReNoise.Engine.IO;
using ReNoise.Web.Services;

namespace ReNoise.Web.Tests.Services;

public sealed class SmallPartsTests
{
    [Theory]
    [InlineData(new[] { 1, 4, 48, 48 })]
    [InlineData(new[] { 4, 1, 4, 6, 6 })]
    [InlineData(new[] { 7 })]
    public void The_npy_header_makes_a_blob_readable_by_numpy_rules(int[] shape)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        float[] data = Enumerable.Range(0, count).Select(i => i * 0.5f - 3).ToArray();
        byte[] header = NpyArray.Float32Header(shape);
        Assert.Equal(0, header.Length % 64);
        string file = Path.Combine(Path.GetTempPath(), $"header-{Guid.NewGuid():N}.npy");
        File.WriteAllBytes(file, [.. header, .. ReNoise.Data.FloatBlob.ToBytes(data)]);
        try
        {
            var array = NpyArray.Read(file);
            Assert.Equal(shape, array.Shape);
            Assert.Equal(data, array.Data);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Engine_problems_name_the_form_fields()
    {
        var e = new ReNoise.Engine.ReNoiseInputException([
            new ParameterProblem(ParameterKey.InversionSteps, "must be at least 1, got 0"),
            new ParameterProblem(ParameterKey.LambdaAc, "must be a number from 0 to 1000, got -2"),
        ]);
        Assert.Equal("Inversion steps N must be at least 1, got 0; λ AC must be a number from 0 to 1000, got -2", ParameterLabels.Describe(e));
        Assert.Equal("image is 9000x8 pixels", ParameterLabels.Describe(new ReNoise.Engine.ReNoiseInputException("image is 9000x8 pixels")));
    }

    [Fact]
    public void Every_parameter_has_a_label()
    {
        foreach (var key in Enum.GetValues<ParameterKey>()) Assert.False(string.IsNullOrWhiteSpace(ParameterLabels.Label(key)));
    }

    [Fact]
    public void Job_requests_keep_every_parameter()
    {
        var parameters = new InversionParameters
        {
            InversionSteps = 6, RenoiseSteps = 3, FirstStepRenoiseCap = 2, Strength = 0.75, Averaging = false,
            AverageFirstStep = new AveragingWindow(1, 3), AverageOtherSteps = new AveragingWindow(2, 4), InversionGuidance = 1.5,
            LambdaAc = 10, LambdaKl = 0.1, RegularizationSteps = 2, AcRolls = 3,
            NoiseCorrection = ReNoise.Engine.Schedulers.NoiseCorrectionMode.Off, Seed = 42, RenoiseTolerance = 0.1,
            RenoiseAcceleration = RenoiseAcceleration.Anderson, AndersonDepth = 3, Scheduler = "ddim", Width = 256, Height = 320,
        };
        var request = new ReNoise.Jobs.InvertJobRequest("demo", "a cup", "cup.png", parameters);
        Assert.Equal(request, ReNoise.Jobs.JobJson.Read<ReNoise.Jobs.InvertJobRequest>(ReNoise.Jobs.JobJson.Write(request)));
    }
}
