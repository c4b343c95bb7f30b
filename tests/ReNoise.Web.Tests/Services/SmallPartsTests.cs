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
        byte[] header = Npy.Float32Header(shape);
        Assert.Equal(0, header.Length % 64);
        string file = Path.Combine(Path.GetTempPath(), $"header-{Guid.NewGuid():N}.npy");
        File.WriteAllBytes(file, [.. header, .. ReNoise.Data.FloatBlob.ToBytes(data)]);
        try
        {
            var array = Npy.Read(file);
            Assert.Equal(shape, array.Shape);
            Assert.Equal(data, array.Data);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--steps must be at least 1, got 0", "Inversion steps N must be at least 1, got 0")]
    [InlineData("--renoise-steps must be 0 or more, got -1", "Renoise steps R must be 0 or more, got -1")]
    [InlineData("the inversion diverged at timestep 999 (non-finite latent); lower --lambda-ac/--lambda-kl or --renoise-steps",
        "the inversion diverged at timestep 999 (non-finite latent); lower λ AC/λ KL or Renoise steps R")]
    [InlineData("image is 9000x8 pixels", "image is 9000x8 pixels")]
    public void Engine_messages_name_the_form_fields(string engine, string page) => Assert.Equal(page, ParameterSet.Describe(engine));

    [Fact]
    public void Parameter_sets_round_trip_every_option()
    {
        var options = new ReNoiseOptions
        {
            InversionSteps = 6, RenoiseSteps = 3, FirstStepRenoiseCap = 2, Strength = 0.75, Averaging = false,
            AverageFirstStep = new AveragingWindow(1, 3), AverageOtherSteps = new AveragingWindow(2, 4), InversionGuidance = 1.5,
            LambdaAc = 10, LambdaKl = 0.1, RegularizationSteps = 2, AcRolls = 3,
            NoiseCorrection = ReNoise.Engine.Schedulers.NoiseCorrectionMode.Off, Seed = 42,
        };
        Assert.Equal(options, ParameterSet.From(options).ToOptions());
    }
}
