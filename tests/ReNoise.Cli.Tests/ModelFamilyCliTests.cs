using System.Text.Json;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.IO;
using ReNoise.Engine.Models;
using ReNoise.TestSupport;

namespace ReNoise.Cli.Tests;

/// <summary>`renoise` on the SDXL, LCM and external-data fixtures: presets, LCM guidance, execution providers.</summary>
public sealed class ModelFamilyCliTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private CliRunner.Result Invert(string model, string outName, params string[] extra) =>
        CliRunner.Run(["invert", "--model", CliRunner.Model(model), "--image", CliRunner.Image("astronaut.png"),
            "--prompt", "a photo of an astronaut", "--out", _temp.File(outName), .. extra]);

    private JsonElement Manifest(string outName) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(_temp.File(outName), "manifest.json"))).RootElement;

    private static readonly Lazy<bool> CudaUsable = new(() =>
    {
        using var model = DiffusionModel.Load(CliRunner.Model("tiny-sd-turbo"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Auto });
        return model.ExecutionProvider == "CUDAExecutionProvider";
    });

    [Theory]
    [InlineData("tiny-sdxl-turbo", new string[0], "sdxl-turbo", "euler-ancestral", "SdxlTurbo", 40)]
    [InlineData("tiny-sdxl-turbo", new[] { "--preset", "sdxl" }, "sdxl", "ddim", "SdxlTurbo", 100)]          // SDXL base settings: DDIM, 50 steps, R = 1
    [InlineData("tiny-sdxl-turbo", new[] { "--preset", "lcm" }, "lcm", "lcm", "SdxlTurbo", 4 * 8 + 4)]       // SDXL with an LCM scheduler
    [InlineData("tiny-lcm", new string[0], "lcm", "lcm", "Lcm", 4 * 8 + 4)]                                  // 999, 759, 499, 259 (none below 250): R + 1 = 8 calls each, + a correction call each
    [InlineData("tiny-sd-external", new string[0], "sd-turbo", "euler-ancestral", "SdTurbo", 40)]
    public void Each_new_fixture_inverts_reconstructs_and_edits(string model, string[] options, string preset, string scheduler, string variant, int nfe)
    {
        var inverted = Invert(model, "inv", ["--execution-provider", "cpu", .. options]);
        Assert.True(inverted.ExitCode == 0, inverted.Stderr);
        var m = Manifest("inv");
        Assert.Equal(preset, m.GetProperty("preset").GetString());
        Assert.Equal(scheduler, m.GetProperty("scheduler").GetString());
        Assert.Equal(variant, m.GetProperty("model").GetProperty("variant").GetString());
        Assert.Equal(nfe, m.GetProperty("nfe").GetInt32());
        Assert.Equal(128, m.GetProperty("width").GetInt32());   // fixtures keep their own 128 x 128 under every preset
        Assert.Equal(model == "tiny-sdxl-turbo" ? 0.13025 : 0.18215, m.GetProperty("model").GetProperty("scalingFactor").GetDouble(), 5);
        var lcmGuidance = m.GetProperty("lcmGuidanceScale");
        if (model == "tiny-lcm") Assert.Equal(8.5, lcmGuidance.GetDouble());
        else Assert.Equal(JsonValueKind.Null, lcmGuidance.ValueKind);
        Assert.Contains($"preset {preset}", inverted.Stdout);

        var reconstructed = CliRunner.Run("reconstruct", "--inversion", _temp.File("inv"), "--out", _temp.File("recon"), "--execution-provider", "cpu");
        Assert.True(reconstructed.ExitCode == 0, reconstructed.Stderr);
        var fromInvert = RgbImage.Read(Path.Combine(_temp.File("inv"), "reconstruction.png"));
        var fromReconstruct = RgbImage.Read(Path.Combine(_temp.File("recon"), "reconstruction.png"));
        Assert.Equal(fromInvert.Pixels, fromReconstruct.Pixels);

        var edited = CliRunner.Run("edit", "--inversion", _temp.File("inv"), "--prompt", "a painting of a cat", "--out", _temp.File("edit"), "--guidance", "3");
        Assert.True(edited.ExitCode == 0, edited.Stderr);
        Assert.NotEqual(fromInvert.Pixels, RgbImage.Read(Path.Combine(_temp.File("edit"), "edited.png")).Pixels);
        Assert.Equal(variant, Manifest("edit").GetProperty("model").GetProperty("variant").GetString());
    }

    [Fact]
    public void Explicit_options_override_the_preset()
    {
        // tiny-sd21-vpred is SD 2.x: the auto preset is "sd" (DDIM, 50 steps, R = 1, no correction).
        var result = Invert("tiny-sd21-vpred", "inv", "--steps", "3", "--reg-steps", "2");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var m = Manifest("inv");
        var p = m.GetProperty("parameters");
        Assert.Equal("sd", m.GetProperty("preset").GetString());
        Assert.Equal("ddim", m.GetProperty("scheduler").GetString());
        Assert.Equal(3, p.GetProperty("steps").GetInt32());               // explicit
        Assert.Equal(2, p.GetProperty("regSteps").GetInt32());            // explicit
        Assert.Equal(1, p.GetProperty("renoiseSteps").GetInt32());        // preset
        Assert.Equal("off", p.GetProperty("noiseCorrection").GetString()); // preset
        Assert.Equal(3, m.GetProperty("timesteps").GetArrayLength());

        var turbo = Invert("tiny-sd21-vpred", "turbo", "--preset", "sd-turbo", "--scheduler", "ddim", "--renoise-steps", "2", "--reg-steps", "0");
        Assert.True(turbo.ExitCode == 0, turbo.Stderr);
        var t = Manifest("turbo");
        Assert.Equal("sd-turbo", t.GetProperty("preset").GetString());
        Assert.Equal("ddim", t.GetProperty("scheduler").GetString());     // explicit beats the preset's Euler ancestral
        Assert.Equal(4, t.GetProperty("parameters").GetProperty("steps").GetInt32());
        Assert.Equal(2, t.GetProperty("parameters").GetProperty("renoiseSteps").GetInt32());

        var none = Invert("tiny-sd21-vpred", "none", "--preset", "none", "--reg-steps", "0");
        Assert.True(none.ExitCode == 0, none.Stderr);
        Assert.Equal("ddim", Manifest("none").GetProperty("scheduler").GetString());   // the model's own
        Assert.Equal(9, Manifest("none").GetProperty("parameters").GetProperty("renoiseSteps").GetInt32());
    }

    [Fact]
    public void An_unknown_preset_is_bad_input()
    {
        var result = Invert("tiny-sd-turbo", "inv", "--preset", "sd3");
        Assert.Equal(CliApp.BadInput, result.ExitCode);
        Assert.StartsWith("error: unknown preset \"sd3\" (valid: auto, sdxl-turbo", result.Stderr);
        Assert.False(Directory.Exists(_temp.File("inv")));
    }

    [Fact]
    public void Lcm_guidance_is_fed_recorded_and_reused_by_reconstruction()
    {
        string[] quick = ["--renoise-steps", "2", "--reg-steps", "0"];
        Assert.Equal(0, Invert("tiny-lcm", "w3", ["--lcm-guidance", "3", .. quick]).ExitCode);
        Assert.Equal(0, Invert("tiny-lcm", "default", quick).ExitCode);
        Assert.Equal(3, Manifest("w3").GetProperty("lcmGuidanceScale").GetDouble());
        Assert.NotEqual(NpyArray.Read(Path.Combine(_temp.File("default"), "latent.npy")).Data, NpyArray.Read(Path.Combine(_temp.File("w3"), "latent.npy")).Data);

        // Reconstruction retraces the inversion's own denoising only with the same embedding.
        var reconstructed = CliRunner.Run("reconstruct", "--inversion", _temp.File("w3"), "--out", _temp.File("recon"));
        Assert.True(reconstructed.ExitCode == 0, reconstructed.Stderr);
        Assert.Equal(RgbImage.Read(Path.Combine(_temp.File("w3"), "reconstruction.png")).Pixels,
            RgbImage.Read(Path.Combine(_temp.File("recon"), "reconstruction.png")).Pixels);

        var ignored = Invert("tiny-sd-turbo", "ignored", ["--lcm-guidance", "3", .. quick]);
        Assert.Equal(0, ignored.ExitCode);
        Assert.Contains("warning: the LCM guidance scale has no effect", ignored.Stdout);
    }

    [Fact]
    public void Auto_falls_back_to_the_cpu_with_one_warning()
    {
        var result = Invert("tiny-sd-turbo", "inv", "--execution-provider", "auto", "--renoise-steps", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        string provider = Manifest("inv").GetProperty("model").GetProperty("executionProvider").GetString()!;
        if (CudaUsable.Value)
        {
            Assert.Equal("CUDAExecutionProvider", provider);
            Assert.DoesNotContain("CUDA execution provider is not available", result.Stdout);
            return;
        }
        Assert.Equal("CPUExecutionProvider", provider);
        var warnings = result.Stdout.Split('\n').Where(l => l.Contains("CUDA execution provider is not available")).ToList();
        var warning = Assert.Single(warnings);
        Assert.StartsWith("warning: CUDA execution provider is not available, running on CPU (", warning);
        Assert.Contains("CUDA 13 and cuDNN 9", warning);
        Assert.Contains("CPUExecutionProvider", result.Stdout);
        Assert.Single(Manifest("inv").GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("running on CPU"));
    }

    [Fact]
    public void Cpu_runs_without_the_cuda_warning()
    {
        var result = Invert("tiny-sd-turbo", "inv", "--execution-provider", "CPU", "--renoise-steps", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.DoesNotContain("CUDA", result.Stdout);
        Assert.Equal("CPUExecutionProvider", Manifest("inv").GetProperty("model").GetProperty("executionProvider").GetString());
    }

    [Fact]
    public void Forced_cuda_without_a_gpu_fails_with_one_line()
    {
        if (CudaUsable.Value) return;   // a CUDA machine runs it; the failure path cannot be shown there
        var result = Invert("tiny-sd-turbo", "inv", "--execution-provider", "cuda", "--device-id", "0");
        Assert.Equal(CliApp.BadInput, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: CUDA execution provider is not available (", line);
        Assert.Contains("CUDA 13 and cuDNN 9", line);
        Assert.False(Directory.Exists(_temp.File("inv")));
    }

    [Theory]
    [InlineData("--execution-provider", "gpu", "error: --execution-provider must be auto, cuda or cpu, got 'gpu'")]
    [InlineData("--device-id", "-1", "error: --device-id must be 0 or more, got -1")]
    [InlineData("--lcm-guidance", "-2", "error: --lcm-guidance must be a number from 0 to 30, got -2")]
    public void Bad_provider_and_guidance_values_are_bad_input(string option, string value, string message)
    {
        var result = Invert("tiny-sd-turbo", "inv", option, value);
        Assert.Equal(CliApp.BadInput, result.ExitCode);
        Assert.Equal(message, result.Stderr.Trim());
    }
}
