using ReNoise.Engine.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using ReNoise.TestSupport;

namespace ReNoise.Cli.Tests;

/// <summary>Bad input: exit code 2, one line on stderr naming the problem, and no output folder.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Out => _temp.File("out");

    private CliRunner.Result Invert(string model, string image, params string[] extra) =>
        CliRunner.Run(["invert", "--model", model, "--image", image, "--prompt", "a photo", "--out", Out, .. extra]);

    private CliRunner.Result InvertFixture(params string[] extra) =>
        Invert(CliRunner.Model("tiny-sd-turbo"), CliRunner.Image("astronaut.png"), extra);

    private void AssertRejected(CliRunner.Result result, params string[] messageParts)
    {
        Assert.Equal(CliApp.BadInput, result.ExitCode);
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        foreach (var part in messageParts) Assert.Contains(part, lines[0]);
        Assert.False(Directory.Exists(Out), "an output folder was left behind");
        Assert.Empty(Directory.GetDirectories(_temp.Path, ".out.partial-*"));
    }

    /// <summary>A copy of a fixture model that a test may break.</summary>
    private string CopyOfFixture(string name = "tiny-sd-turbo")
    {
        string source = CliRunner.Model(name);
        string target = _temp.File(name);
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return target;
    }

    [Fact]
    public void Missing_model_folder() =>
        AssertRejected(Invert(_temp.File("no-such-model"), CliRunner.Image("astronaut.png")), "no-such-model");

    [Theory]
    [InlineData("unet/model.onnx")]
    [InlineData("vae_encoder/model.onnx")]
    [InlineData("text_encoder/model.onnx")]
    [InlineData("tokenizer/vocab.json")]
    [InlineData("scheduler/scheduler_config.json")]
    public void Missing_model_component_names_the_file(string component)
    {
        string model = CopyOfFixture();
        File.Delete(Path.Combine(model, component));
        AssertRejected(Invert(model, CliRunner.Image("astronaut.png")), component);
    }

    [Fact]
    public void An_onnx_file_that_is_not_a_model()
    {
        string model = CopyOfFixture();
        File.WriteAllText(Path.Combine(model, "unet", "model.onnx"), "this is not a protobuf");
        AssertRejected(Invert(model, CliRunner.Image("astronaut.png")), "unet/model.onnx", "not a valid ONNX model");
    }

    [Fact]
    public void An_undecodable_image()
    {
        string image = _temp.File("notes.png");
        File.WriteAllText(image, "hello, not an image");
        AssertRejected(Invert(CliRunner.Model("tiny-sd-turbo"), image), "notes.png", "not a readable image");
    }

    [Fact]
    public void A_truncated_image()
    {
        byte[] bytes = File.ReadAllBytes(CliRunner.Image("astronaut.png"));
        string image = _temp.File("half.png");
        File.WriteAllBytes(image, bytes[..(bytes.Length / 2)]);
        AssertRejected(Invert(CliRunner.Model("tiny-sd-turbo"), image), "half.png", "truncated");
    }

    [Fact]
    public void An_image_over_8192_pixels_on_a_side()
    {
        string image = _temp.File("wide.png");
        using (var wide = new Image<Rgb24>(8200, 8)) wide.SaveAsPng(image);
        AssertRejected(Invert(CliRunner.Model("tiny-sd-turbo"), image), "8200x8", "8192");
    }

    [Fact]
    public void A_missing_image() =>
        AssertRejected(Invert(CliRunner.Model("tiny-sd-turbo"), _temp.File("absent.jpg")), "absent.jpg");

    [Theory]
    [InlineData("--steps", "0", "--steps")]
    [InlineData("--steps", "-3", "--steps")]
    [InlineData("--renoise-steps", "-1", "--renoise-steps")]
    [InlineData("--strength", "0", "--strength")]
    [InlineData("--strength", "1.5", "--strength")]
    [InlineData("--strength", "-0.2", "--strength")]
    [InlineData("--average-first", "-1:5", "--average-first")]
    [InlineData("--average-first", "5:5", "--average-first")]
    [InlineData("--average-rest", "9:8", "--average-rest")]
    [InlineData("--average-rest", "a:b", "--average-rest")]
    [InlineData("--average", "maybe", "--average")]
    [InlineData("--noise-correction", "sometimes", "--noise-correction")]
    [InlineData("--scheduler", "heun", "heun")]
    [InlineData("--width", "100", "--width")]
    [InlineData("--steps", "four", "four")]
    [InlineData("--steps", "4.7", "4.7")]
    // Upper bounds: every front end refuses the same absurd values, before any work.
    [InlineData("--renoise-steps", "100000", "--renoise-steps must be at most 100, got 100000")]
    [InlineData("--reg-steps", "10000", "--reg-steps must be at most 100, got 10000")]
    [InlineData("--ac-rolls", "1000", "--ac-rolls must be at most 100, got 1000")]
    [InlineData("--guidance", "1e9", "--guidance must be a number from 0 to 30, got 1000000000")]
    [InlineData("--lambda-ac", "1e6", "--lambda-ac must be a number from 0 to 1000")]
    [InlineData("--width", "4096", "--width must be a multiple of 8 from 8 to 2048 pixels, got 4096")]
    [InlineData("--anderson-depth", "9", "--anderson-depth must be at most 8, got 9")]
    [InlineData("--renoise-tolerance", "2", "--renoise-tolerance must be a number from 0 to 1, got 2")]
    [InlineData("--steps", "2000", "--steps must be at most 1000, got 2000")]
    public void Out_of_range_parameters(string option, string value, string named) =>
        AssertRejected(InvertFixture(option, value), named);

    [Fact]
    public void Every_bad_parameter_is_named_on_the_one_line() =>
        AssertRejected(InvertFixture("--steps", "0", "--lambda-kl", "-1", "--ac-rolls", "500"),
            "--steps must be at least 1, got 0", "--lambda-kl must be a number from 0 to 100, got -1", "--ac-rolls must be at most 100, got 500");

    [Fact]
    public void A_noise_in_array_of_the_wrong_shape()
    {
        string noise = Directory.CreateDirectory(_temp.File("noise")).FullName;
        NpyArray.Write(Path.Combine(noise, "forward_noise.npy"), new float[4 * 16 * 16], [1, 4, 16, 16]);
        NpyArray.Write(Path.Combine(noise, "step_noise.npy"), new float[3 * 4 * 16 * 16], [3, 1, 4, 16, 16]);
        AssertRejected(InvertFixture("--noise-in", noise), "step_noise.npy", "[3,1,4,16,16]", "[4,1,4,16,16]");
    }

    [Fact]
    public void A_noise_in_folder_without_forward_noise() =>
        AssertRejected(InvertFixture("--noise-in", Directory.CreateDirectory(_temp.File("empty")).FullName), "forward_noise.npy");

    [Fact]
    public void A_missing_required_option() =>
        AssertRejected(CliRunner.Run("invert", "--model", CliRunner.Model("tiny-sd-turbo"), "--out", Out), "--image");

    [Fact]
    public void Edit_from_a_folder_that_is_not_an_inversion()
    {
        string folder = Directory.CreateDirectory(_temp.File("random")).FullName;
        AssertRejected(CliRunner.Run("edit", "--inversion", folder, "--prompt", "a cat", "--out", Out), "manifest.json");
    }
}
