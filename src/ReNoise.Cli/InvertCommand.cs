using System.CommandLine;
using System.Diagnostics;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.IO;
using ReNoise.Engine.Models;

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
            $"{string.Join(" | ", ModelPresets.Names)}: the paper's settings the other options override (default auto: from the model folder)");
        var scheduler = CliApp.Optional<string>("--scheduler", "ddim | euler-ancestral | lcm (default: the preset's)");
        var steps = CliApp.Optional<int?>("--steps", "inversion (and inference) steps N (default: the preset's, 4 for turbo/LCM, 50 for SD/SDXL)");
        var renoise = CliApp.Optional<int?>("--renoise-steps", "renoise iterations R per step (default: the preset's, 9 turbo, 7 LCM, 1 SD/SDXL)");
        var cap = CliApp.Optional<int?>("--first-step-renoise-cap", "R cap for timesteps below 250 (default 5)");
        var strength = CliApp.Optional<double?>("--strength", "fraction of the schedule inverted, (0, 1] (default 1)");
        var average = CliApp.Optional<string>("--average", "on | off: average noise predictions (default on)");
        var averageFirst = CliApp.Optional<string>("--average-first", "averaging window LO:HI for t < 250 (default 0:5)");
        var averageRest = CliApp.Optional<string>("--average-rest", "averaging window LO:HI for t >= 250 (default 8:10)");
        var guidance = CliApp.Optional<double?>("--guidance", "classifier-free guidance during inversion (default 0: off)");
        var lambdaAc = CliApp.Optional<double?>("--lambda-ac", "pairwise (auto-correlation) regularization weight (default 20)");
        var lambdaKl = CliApp.Optional<double?>("--lambda-kl", "patch-KL regularization weight (default 0.065)");
        var regSteps = CliApp.Optional<int?>("--reg-steps", "regularization gradient steps (default 4)");
        var acRolls = CliApp.Optional<int?>("--ac-rolls", "random shifts of the AC loss per step (default 5)");
        var correction = CliApp.Optional<string>("--noise-correction", "on | off | exact (default on; off in the SD/SDXL presets)");
        var seed = CliApp.Optional<int?>("--seed", "seed of all random draws (default 7865)");
        var width = CliApp.Optional<int?>("--width", "working width, a multiple of 8 (default: the preset's, at most the model's native size)");
        var height = CliApp.Optional<int?>("--height", "working height, a multiple of 8 (default: the preset's, at most the model's native size)");
        var noiseIn = CliApp.Optional<string>("--noise-in", "folder with forward_noise.npy and step_noise.npy replacing the seeded draws");
        var lcmGuidance = CliApp.Optional<double?>("--lcm-guidance", "guidance scale w embedded for LCM-distilled UNets (timestep_cond) (default 8.5)");
        var providers = new ProviderOptions();
        var tolerance = CliApp.Optional<double?>("--renoise-tolerance", "adaptive renoise: stop a step's iterations once the relative change is below X (default 0: off)");
        var accel = CliApp.Optional<string>("--renoise-accel", "none | anderson: acceleration of the renoise iteration (default none)");

        var command = new Command("invert", "Invert an image with ReNoise and write latent, noise maps, trajectory, reconstruction and manifest.");
        foreach (var o in new Option[] { model, image, prompt, outDir, scheduler, steps, renoise, cap, strength, average, averageFirst, averageRest,
                     guidance, lambdaAc, lambdaKl, regSteps, acRolls, correction, seed, width, height, noiseIn, preset, lcmGuidance, tolerance, accel })
            command.Options.Add(o);
        providers.AddTo(command);

        command.SetAction(p =>
        {
            var clock = Stopwatch.StartNew();
            // The preset depends on the model folder; opening it creates no ONNX session yet.
            using var diffusionModel = DiffusionModel.Load(p.GetValue(model)!, providers.LoadOptions(p));
            ModelPreset chosen = ModelPresets.Resolve(p.GetValue(preset), diffusionModel.Layout);
            var defaults = chosen.Options;
            var options = defaults with
            {
                InversionSteps = p.GetValue(steps) ?? defaults.InversionSteps,
                RenoiseSteps = p.GetValue(renoise) ?? defaults.RenoiseSteps,
                FirstStepRenoiseCap = p.GetValue(cap) ?? defaults.FirstStepRenoiseCap,
                Strength = p.GetValue(strength) ?? defaults.Strength,
                Averaging = p.GetValue(average) is { } a ? ParseOnOff(a, "--average") : defaults.Averaging,
                AverageFirstStep = p.GetValue(averageFirst) is { } f ? AveragingWindow.Parse(f, "--average-first") : defaults.AverageFirstStep,
                AverageOtherSteps = p.GetValue(averageRest) is { } r ? AveragingWindow.Parse(r, "--average-rest") : defaults.AverageOtherSteps,
                InversionGuidance = p.GetValue(guidance) ?? defaults.InversionGuidance,
                LambdaAc = p.GetValue(lambdaAc) ?? defaults.LambdaAc,
                LambdaKl = p.GetValue(lambdaKl) ?? defaults.LambdaKl,
                RegularizationSteps = p.GetValue(regSteps) ?? defaults.RegularizationSteps,
                AcRolls = p.GetValue(acRolls) ?? defaults.AcRolls,
                NoiseCorrection = p.GetValue(correction) is { } c ? NoiseCorrectionNames.Parse(c) : defaults.NoiseCorrection,
                Seed = p.GetValue(seed) ?? defaults.Seed,
                RenoiseTolerance = p.GetValue(tolerance) ?? defaults.RenoiseTolerance,
                RenoiseAcceleration = p.GetValue(accel) is { } ra ? RenoiseAccelerationNames.Parse(ra) : defaults.RenoiseAcceleration,
            };
            options.Validate();
            string imagePath = p.GetValue(image)!;
            string? noiseFolder = p.GetValue(noiseIn);
            NoiseOverride? noise = noiseFolder is null ? null : ReadNoise(noiseFolder);

            int w = p.GetValue(width) ?? chosen.ImageSizeFor(diffusionModel.Layout);
            int h = p.GetValue(height) ?? chosen.ImageSizeFor(diffusionModel.Layout);
            ImageLoader.ValidateSize(w, h);
            RgbImage input = ImageLoader.Load(imagePath, w, h);
            string promptText = p.GetValue(prompt)!;

            var pipeline = new InversionPipeline(diffusionModel);
            var result = pipeline.Invert(new InversionRequest
            {
                Image = input,
                Prompt = promptText,
                Options = options,
                Scheduler = p.GetValue(scheduler) ?? chosen.Scheduler,
                Noise = noise,
                LcmGuidanceScale = p.GetValue(lcmGuidance),
            });

            using var staged = new StagedFolder(p.GetValue(outDir)!);
            string[] files = InversionFolder.WriteArtifacts(staged.WorkingPath, result);
            var manifest = new InversionManifest
            {
                Model = CliApp.Describe(diffusionModel),
                Image = Path.GetFullPath(imagePath),
                Width = w,
                Height = h,
                Prompt = promptText,
                PromptTruncated = result.PromptTruncated,
                Scheduler = result.Scheduler,
                Parameters = ParameterRecord.From(options, noiseFolder is null ? null : Path.GetFullPath(noiseFolder)),
                Preset = chosen.Name,
                LcmGuidanceScale = result.LcmGuidanceScale,
                Timesteps = result.Timesteps.ToArray(),
                InvertedTimesteps = result.Trace.InvertedTimesteps.ToArray(),
                StartIndex = result.StartIndex,
                LatentShape = [1, result.Shape.Channels, result.Shape.Height, result.Shape.Width],
                Nfe = result.Trace.Nfe,
                NfeSaved = result.Trace.NfeSaved,
                Residuals = result.Trace.InvertedTimesteps.Select((t, i) => new StepResiduals(t, result.Trace.Residuals[i])).ToArray(),
                Psnr = result.Psnr,
                Ssim = result.Ssim,
                TotalMs = CliApp.Ms(clock.Elapsed),
                InversionMs = CliApp.Ms(result.InversionTime),
                OnnxRuntimeMs = CliApp.Ms(diffusionModel.OrtTime),
                Warnings = result.Warnings.ToArray(),
                Files = files,
            };
            InversionFolder.WriteManifest(staged.WorkingPath, manifest);
            staged.Commit();

            CliApp.PrintWarnings(stdout, result.Warnings);
            stdout.WriteLine($"inverted {imagePath} with {result.Scheduler} ({result.Trace.InvertedTimesteps.Count} steps, preset {chosen.Name}, {diffusionModel.ExecutionProvider}) into {p.GetValue(outDir)}");
            stdout.WriteLine($"nfe {manifest.Nfe}  psnr {result.Psnr:F2} dB  ssim {result.Ssim:F4}  {manifest.TotalMs:F0} ms (ONNX Runtime {manifest.OnnxRuntimeMs:F0} ms)");
            return 0;
        });
        return command;
    }

    private static bool ParseOnOff(string text, string option) => text.ToLowerInvariant() switch
    {
        "on" => true,
        "off" => false,
        _ => throw new ReNoiseInputException($"{option} must be on or off, got '{text}'"),
    };

    /// <summary>Reads --noise-in before any work starts; shapes are checked against the run by the pipeline.</summary>
    private static NoiseOverride ReadNoise(string folder)
    {
        if (!Directory.Exists(folder)) throw new ReNoiseInputException($"--noise-in folder not found: {folder}");
        string forward = Path.Combine(folder, "forward_noise.npy");
        if (!File.Exists(forward)) throw new ReNoiseInputException($"--noise-in: {forward} is missing");
        string steps = Path.Combine(folder, "step_noise.npy");
        return new NoiseOverride(Npy.Read(forward), File.Exists(steps) ? Npy.Read(steps) : null);
    }
}
