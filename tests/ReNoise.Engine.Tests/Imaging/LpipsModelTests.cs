using ReNoise.Engine.Imaging;
using ReNoise.Engine.Models;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Imaging;

/// <summary>
/// LPIPS through ONNX, tested with tests/fixtures/lpips/msd_standin.onnx: the interface of an LPIPS
/// export (inputs named image_x and image_y, read from the metadata) computing the mean squared
/// difference, which the test recomputes independently.
/// </summary>
public sealed class LpipsModelTests
{
    public static string StandInPath => Path.Combine(TestPaths.Fixtures, "lpips", "msd_standin.onnx");

    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu };

    private static RgbImage Photo(string name, int size) => ImageLoader.Load(Path.Combine(TestPaths.RepoRoot, "bench", "data", name), size, size);

    [Fact]
    public void The_distance_is_the_models_output_for_the_two_images_in_minus_one_to_one()
    {
        using var lpips = LpipsModel.Open(StandInPath, Cpu);
        var a = Photo("chelsea.png", 48);
        var b = Photo("coffee.png", 48);
        double expected = 0;
        for (int i = 0; i < a.Pixels.Length; i++)
        {
            double d = (a.Pixels[i] / 127.5 - 1) - (b.Pixels[i] / 127.5 - 1);
            expected += d * d;
        }
        expected /= a.Pixels.Length;
        Assert.Equal(expected, lpips.Distance(a, b), 1e-6);
        Assert.Equal(0.0, lpips.Distance(a, a));
        Assert.True(lpips.OrtTime > TimeSpan.Zero);
    }

    [Fact]
    public void Any_image_size_the_model_accepts_works()
    {
        using var lpips = LpipsModel.Open(StandInPath, Cpu);
        Assert.True(lpips.Distance(Photo("rocket.jpg", 24), Photo("astronaut.png", 24)) > 0);
        Assert.True(lpips.Distance(Photo("rocket.jpg", 64), Photo("astronaut.png", 64)) > 0);
    }

    [Fact]
    public void A_model_without_two_image_inputs_is_bad_input()
    {
        string decoder = Path.Combine(TestPaths.FixtureModels, "tiny-sd-turbo", "vae_decoder", "model.onnx");
        var e = Assert.Throws<ReNoiseInputException>(() => LpipsModel.Open(decoder, Cpu));
        Assert.Contains("two images", e.Message);
    }

    [Fact]
    public void A_missing_model_is_bad_input_naming_the_file()
    {
        var e = Assert.Throws<ReNoiseInputException>(() => LpipsModel.Open("/no/such/lpips.onnx", Cpu));
        Assert.Contains("LPIPS model not found: /no/such/lpips.onnx", e.Message);
    }
}
