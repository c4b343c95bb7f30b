using System.CommandLine;
using System.Diagnostics;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Formats;

namespace ReNoise.Cli;

/// <summary>`renoise edit` and `renoise reconstruct`: denoise a stored inversion, no re-inversion.</summary>
internal static class DenoiseCommands
{
    public static Command CreateEdit(TextWriter stdout)
    {
        var inversion = InversionOption();
        var prompt = CliApp.Required<string>("--prompt", "target prompt");
        var outDir = CliApp.Required<string>("--out", "output folder");
        var guidance = CliApp.Optional<double?>("--guidance", "edit guidance scale; above 1 the source prompt is the negative prompt (default 1)");
        var model = ModelOption();
        var providers = new ProviderOptions();
        var command = new Command("edit", "Edit an inverted image by denoising it with a new prompt.");
        foreach (var o in new Option[] { inversion, prompt, outDir, guidance, model }) command.Options.Add(o);
        providers.AddTo(command);
        command.SetAction(p => Run(stdout, "edit", p.GetValue(inversion)!, p.GetValue(prompt), p.GetValue(outDir)!, p.GetValue(guidance) ?? 1.0,
            p.GetValue(model), providers.LoadOptions(p)));
        return command;
    }

    private static Option<string> InversionOption() =>
        CliApp.Required<string>("--inversion", "inversion folder written by `renoise invert`, or a .zip of one (the studio's export)");

    private static Option<string> ModelOption() =>
        CliApp.Optional<string>("--model", "model folder to use instead of the one the manifest names (the same model elsewhere)");

    public static Command CreateReconstruct(TextWriter stdout)
    {
        var inversion = InversionOption();
        var outDir = CliApp.Required<string>("--out", "output folder");
        var model = ModelOption();
        var providers = new ProviderOptions();
        var command = new Command("reconstruct", "Denoise an inverted image with its source prompt and compare with the input.");
        foreach (var o in new Option[] { inversion, outDir, model }) command.Options.Add(o);
        providers.AddTo(command);
        command.SetAction(p => Run(stdout, "reconstruct", p.GetValue(inversion)!, null, p.GetValue(outDir)!, 1.0, p.GetValue(model), providers.LoadOptions(p)));
        return command;
    }

    private static int Run(TextWriter stdout, string commandName, string inversionFolder, string? editPrompt, string outDir, double guidance,
        string? modelFolder, ModelLoadOptions loadOptions)
    {
        var clock = Stopwatch.StartNew();
        var (inversion, inputPng) = Read(inversionFolder);
        bool reconstruct = editPrompt is null;
        string prompt = editPrompt ?? inversion.Prompt;

        // The manifest's model folder is where the inversion was made; --model names the same model elsewhere
        // (the pipeline refuses one whose family or schedule does not fit).
        using var model = DiffusionModel.Load(modelFolder ?? inversion.Model.Path, loadOptions);
        var pipeline = new InversionPipeline(model);
        DenoiseResult result = pipeline.Denoise(inversion, prompt, guidance);

        double? psnr = null, ssim = null;
        var warnings = new List<string>(model.Warnings);
        if (result.PromptTruncated) warnings.Add("the prompt is longer than the text encoder's 77 tokens and was truncated");
        if (reconstruct)
        {
            if (inputPng is not null)
            {
                var input = RgbImage.Decode(inputPng, InversionFolder.InputFile);
                psnr = ImageMetrics.Psnr(input, result.Image);
                ssim = ImageMetrics.Ssim(input, result.Image);
            }
            else
            {
                warnings.Add($"{InversionFolder.InputFile} is missing from {inversionFolder}, so PSNR and SSIM are not reported");
            }
        }

        using var staged = new StagedFolder(outDir);
        string imageFile = reconstruct ? InversionFolder.ReconstructionFile : InversionFolder.EditedFile;
        result.Image.SavePng(Path.Combine(staged.WorkingPath, imageFile));
        var manifest = new DenoiseManifest
        {
            Command = commandName,
            Inversion = Path.GetFullPath(inversionFolder),
            Model = ModelRecord.From(ModelIdentity.Of(model)),
            Prompt = prompt,
            SourcePrompt = inversion.Prompt,
            PromptTruncated = result.PromptTruncated,
            Guidance = guidance,
            Scheduler = inversion.Scheduler,
            Timesteps = inversion.DenoisedTimesteps.ToArray(),
            Nfe = result.Nfe,
            Psnr = psnr,
            Ssim = ssim,
            TotalMs = CliApp.Ms(clock.Elapsed),
            OnnxRuntimeMs = CliApp.Ms(model.OrtTime),
            Warnings = warnings.ToArray(),
            Files = [imageFile, InversionFolder.ManifestFile],
        };
        InversionFolder.WriteManifest(staged.WorkingPath, manifest);
        staged.Commit();

        CliApp.PrintWarnings(stdout, warnings);
        stdout.WriteLine(reconstruct
            ? $"reconstructed {inversionFolder} into {outDir}: psnr {psnr:F2} dB  ssim {ssim:F4}  nfe {result.Nfe}"
            : $"edited {inversionFolder} with \"{prompt}\" into {outDir}: nfe {result.Nfe}");
        return 0;
    }

    /// <summary>The inversion and its input image from a folder or a .zip of one.</summary>
    private static (InvertedLatent Inversion, byte[]? InputPng) Read(string path)
    {
        if (File.Exists(path) && path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            using var stream = File.OpenRead(path);
            var archived = InversionArchive.Read(stream, path);
            return (archived.Inversion, archived.File(InversionFolder.InputFile));
        }
        var stored = InversionFolder.Read(path);
        string input = Path.Combine(stored.Folder, InversionFolder.InputFile);
        return (stored.Inversion, File.Exists(input) ? File.ReadAllBytes(input) : null);
    }
}
