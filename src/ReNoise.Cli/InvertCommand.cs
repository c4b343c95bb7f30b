using System.CommandLine;
using System.Diagnostics;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.IO;
using ReNoise.Engine.Models;
using ReNoise.Formats;

namespace ReNoise.Cli;

/// <summary>`renoise invert`: image + prompt -> inversion folder.</summary>
internal static class InvertCommand
{
    public static Command Create(TextWriter stdout)
    {
        var model = CliApp.Required<string>("--model", "model folder (diffusers/Optimum ONNX layout)");
        var image = CliApp.Required<string>("--image", "image file (PNG, JPEG, WebP, BMP, GIF)");
        var prompt = CliApp.Required<string>("--prompt", "source prompt describing the image");
        var outDir = CliApp.Required<string>("--out", "output folder");
        var preset = CliApp.Optional<string>("--preset",
            $"{string.Join(" | ", ModelPreset.Names)}: the paper's settings the other options override (default auto: from the model folder)");
        var noiseIn = CliApp.Optional<string>("--noise-in", "folder with forward_noise.npy and step_noise.npy replacing the seeded draws");
        var parameters = new InversionOptions();
        var providers = new ProviderOptions();

        var command = new Command("invert", "Invert an image with ReNoise and write latent, noise maps, trajectory, reconstruction and manifest.");
        foreach (var o in new Option[] { model, image, prompt, outDir }) command.Options.Add(o);
        parameters.AddTo(command);
        command.Options.Add(noiseIn);
        command.Options.Add(preset);
        providers.AddTo(command);

        command.SetAction(p =>
        {
            var clock = Stopwatch.StartNew();
            // The preset depends on the model folder; opening it creates no ONNX session yet.
            using var diffusionModel = DiffusionModel.Load(p.GetValue(model)!, providers.LoadOptions(p));
            ModelPreset chosen = ModelPreset.Resolve(p.GetValue(preset), diffusionModel.Layout);
            var options = parameters.Apply(p, chosen.ParametersFor(diffusionModel.Layout));
            string? noiseFolder = p.GetValue(noiseIn);
            var pipeline = new InversionPipeline(diffusionModel);
            var (forwardNoise, stepNoise) = noiseFolder is null ? (null, null) : ReadNoise(noiseFolder);
            InversionPlan plan = pipeline.Plan(new InversionRequest
            {
                Prompt = p.GetValue(prompt)!,
                Parameters = options,
                ForwardNoise = forwardNoise,
                StepNoise = stepNoise,
            });

            string imagePath = p.GetValue(image)!;
            RgbImage input = ImageLoader.Load(imagePath, plan.Width, plan.Height);
            var result = pipeline.Invert(plan, input);

            using var staged = new StagedFolder(p.GetValue(outDir)!);
            string[] files = InversionFolder.WriteArtifacts(staged.WorkingPath, result);
            var manifest = InversionFolder.ManifestFor(result, Path.GetFullPath(imagePath), chosen.Name,
                noiseFolder is null ? null : Path.GetFullPath(noiseFolder), CliApp.Ms(clock.Elapsed), CliApp.Ms(diffusionModel.OrtTime), files);
            InversionFolder.WriteManifest(staged.WorkingPath, manifest);
            staged.Commit();

            CliApp.PrintWarnings(stdout, result.Warnings);
            stdout.WriteLine($"inverted {imagePath} with {plan.Scheduler} ({plan.StepCount} steps, preset {chosen.Name}, {diffusionModel.ExecutionProvider}) into {p.GetValue(outDir)}");
            stdout.WriteLine($"nfe {manifest.Nfe}  psnr {result.Psnr:F2} dB  ssim {result.Ssim:F4}  {manifest.TotalMs:F0} ms (ONNX Runtime {manifest.OnnxRuntimeMs:F0} ms)");
            return 0;
        });
        return command;
    }

    /// <summary>Reads --noise-in before any work starts; shapes are checked against the run by the plan.</summary>
    private static (NpyArray Forward, NpyArray? Steps) ReadNoise(string folder)
    {
        if (!Directory.Exists(folder)) throw new ReNoiseInputException($"--noise-in folder not found: {folder}");
        string forward = Path.Combine(folder, "forward_noise.npy");
        if (!File.Exists(forward)) throw new ReNoiseInputException($"--noise-in: {forward} is missing");
        string steps = Path.Combine(folder, "step_noise.npy");
        return (NpyArray.Read(forward), File.Exists(steps) ? NpyArray.Read(steps) : null);
    }
}
