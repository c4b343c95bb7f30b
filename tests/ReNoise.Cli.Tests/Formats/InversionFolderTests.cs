using System.Text.Json.Nodes;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Formats;
using ReNoise.TestSupport;

namespace ReNoise.Cli.Tests.Formats;

/// <summary>The inversion folder as a serialization of the engine's InvertedLatent: what reads back, and what is refused.</summary>
public sealed class InversionFolderTests : IClassFixture<InversionFolderTests.Inverted>, IDisposable
{
    /// <summary>One default inversion on tiny-sd-turbo, written by the CLI.</summary>
    public sealed class Inverted : IDisposable
    {
        private readonly TempDirectory _temp = new();

        public Inverted()
        {
            Folder = _temp.File("inv");
            var result = CliRunner.Run("invert", "--model", CliRunner.Model("tiny-sd-turbo"), "--image", CliRunner.Image("coffee.png"),
                "--prompt", "a cup of coffee", "--out", Folder, "--execution-provider", "cpu");
            Assert.True(result.ExitCode == 0, result.Stderr);
        }

        public string Folder { get; }

        public void Dispose() => _temp.Dispose();
    }

    private readonly Inverted _inverted;
    private readonly TempDirectory _temp = new();

    public InversionFolderTests(Inverted inverted) => _inverted = inverted;

    public void Dispose() => _temp.Dispose();

    /// <summary>A copy of the inversion folder, its manifest changed by <paramref name="edit"/>.</summary>
    private string Copy(Action<JsonObject>? edit = null, params string[] drop)
    {
        string copy = Directory.CreateDirectory(_temp.File(Guid.NewGuid().ToString("N"))).FullName;
        foreach (var file in Directory.GetFiles(_inverted.Folder))
            if (!drop.Contains(Path.GetFileName(file))) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        if (edit is not null)
        {
            string path = Path.Combine(copy, InversionFolder.ManifestFile);
            var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            edit(manifest);
            File.WriteAllText(path, manifest.ToJsonString());
        }
        return copy;
    }

    [Fact]
    public void The_folder_reads_back_as_the_inverted_latent_the_run_made()
    {
        var stored = InversionFolder.Read(_inverted.Folder);
        var inversion = stored.Inversion;

        Assert.Equal("a cup of coffee", inversion.Prompt);
        Assert.Equal(ModelFamily.Sd2, inversion.Model.Family);
        Assert.Equal(ModelVariant.SdTurbo, inversion.Model.Variant);
        Assert.Equal(SchedulerNames.EulerAncestral, inversion.Scheduler);
        Assert.Equal([999, 749, 499, 249], inversion.Timesteps);
        Assert.Equal(0, inversion.StartIndex);
        Assert.Equal((128, 128), (inversion.Width, inversion.Height));
        Assert.Equal(4, inversion.NoiseMaps.Count);
        Assert.Equal(ModelPreset.SdTurbo.Parameters with { Width = 128, Height = 128 }, inversion.Parameters);
    }

    [Fact]
    public void A_manifest_written_before_the_anderson_depth_and_variant_were_recorded_still_reads()
    {
        var stored = InversionFolder.Read(Copy(m =>
        {
            m["parameters"]!.AsObject().Remove("andersonDepth");
            m["model"]!.AsObject().Remove("variant");
        }));
        Assert.Equal(InversionParameters.DefaultAndersonDepth, stored.Inversion.Parameters.AndersonDepth);
        Assert.Equal(ModelVariant.UnknownSd, stored.Inversion.Model.Variant);
        Assert.Equal(ModelFamily.Sd2, stored.Inversion.Model.Family);
    }

    [Theory]
    [InlineData("noiseCorrection", "sometimes", "noiseCorrection 'sometimes' is not one of on, off, exact")]
    [InlineData("renoiseAccel", "newton", "renoiseAccel 'newton' is not one of none, anderson")]
    [InlineData("averageRest", "8-10", "averageRest '8-10' is not LO:HI")]
    public void A_parameter_the_format_does_not_know_is_refused_naming_it(string key, string value, string message)
    {
        string folder = Copy(m => m["parameters"]![key] = value);
        var e = Assert.Throws<ReNoiseInputException>(() => InversionFolder.Read(folder));
        Assert.Equal($"{Path.Combine(folder, "manifest.json")}: {message}", e.Message);
    }

    [Fact]
    public void A_stochastic_inversion_without_its_noise_maps_is_refused()
    {
        string folder = Copy(drop: InversionFolder.NoiseFile);
        var e = Assert.Throws<ReNoiseInputException>(() => InversionFolder.Read(folder));
        Assert.EndsWith("euler-ancestral needs 4 noise maps, the inversion has 0", e.Message);
    }

    [Fact]
    public void A_schedule_that_does_not_fit_the_step_count_is_refused()
    {
        string folder = Copy(m => m["startIndex"] = 7);
        var e = Assert.Throws<ReNoiseInputException>(() => InversionFolder.Read(folder));
        Assert.Contains("start index 7 is outside its 4 timesteps", e.Message);
    }

    [Fact]
    public void Every_parameter_survives_the_manifest_record()
    {
        var parameters = new InversionParameters
        {
            InversionSteps = 6, RenoiseSteps = 3, FirstStepRenoiseCap = 2, Strength = 0.75, Averaging = false,
            AverageFirstStep = new AveragingWindow(1, 3), AverageOtherSteps = new AveragingWindow(2, 4), InversionGuidance = 1.5,
            LambdaAc = 10, LambdaKl = 0.1, RegularizationSteps = 2, AcRolls = 3, NoiseCorrection = NoiseCorrectionMode.Exact, Seed = -42,
            RenoiseTolerance = 0.05, RenoiseAcceleration = RenoiseAcceleration.Anderson, AndersonDepth = 5,
            Scheduler = "lcm", Width = 256, Height = 192, LcmGuidanceScale = 4,
        };
        Assert.Equal(parameters, ParameterRecord.From(parameters).ToParameters("lcm", 256, 192, 4));
    }
}
