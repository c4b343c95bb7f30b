using ReNoise.Engine.Inversion;
using ReNoise.Engine.Schedulers;

namespace ReNoise.Engine.Models;

/// <summary>
/// The settings the paper (and its reference implementation) uses for one kind of model: sampler,
/// step count, renoise iterations, noise correction, working image size. They are defaults: a front
/// end applies the preset first and the user's explicit options on top.
/// </summary>
public sealed record ModelPreset
{
    /// <summary>How front ends name it (--preset, manifest): sdxl-turbo, sd-turbo, lcm, sd, sdxl, none.</summary>
    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>
    /// Every parameter, the sampler included (null: the model's own); those the preset does not name
    /// keep the spec §2 defaults. The working size is <see cref="ImageSize"/>, resolved per model by
    /// <see cref="ParametersFor"/>.
    /// </summary>
    public required InversionParameters Parameters { get; init; }

    /// <summary>The sampler the preset names, or null for the model's own.</summary>
    public string? Scheduler => Parameters.Scheduler;

    /// <summary>The paper's working image side, or null for the model's native size.</summary>
    public int? ImageSize { get; init; }

    /// <summary>
    /// The default image side for <paramref name="folder"/>: the preset's size, but never above the
    /// model's native size when its UNet config states one (small test models keep theirs); the
    /// model's native size when the preset names none.
    /// </summary>
    public int ImageSizeFor(ModelFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (ImageSize is not { } size) return folder.DefaultImageSize;
        return folder.SampleSize is > 0 ? Math.Min(size, folder.DefaultImageSize) : size;
    }

    /// <summary>The preset's parameters for <paramref name="folder"/>, with its working size filled in.</summary>
    public InversionParameters ParametersFor(ModelFolder folder)
    {
        int side = ImageSizeFor(folder);
        return Parameters with { Width = side, Height = side };
    }

    // The paper's presets and which one fits a model folder.

    /// <summary>Pick the preset from the model folder (<see cref="ModelFolder.Variant"/>).</summary>
    public const string Auto = "auto";

    private static readonly InversionParameters PaperDefaults = InversionParameters.Default;

    /// <summary>SDXL-Turbo with Euler ancestral: the spec §2 defaults (4 steps, R = 9, noise correction), 512 x 512.</summary>
    public static ModelPreset SdxlTurbo { get; } = new()
    {
        Name = "sdxl-turbo",
        Description = "SDXL-Turbo: Euler ancestral, 4 steps, R = 9, noise correction, 512x512",
        Parameters = PaperDefaults with { Scheduler = SchedulerNames.EulerAncestral },
        ImageSize = 512,
    };

    /// <summary>SD-Turbo, as the reference runs it: the SDXL-Turbo settings.</summary>
    public static ModelPreset SdTurbo { get; } = SdxlTurbo with
    {
        Name = "sd-turbo",
        Description = "SD-Turbo: Euler ancestral, 4 steps, R = 9, noise correction, 512x512",
    };

    /// <summary>Latent consistency models: the LCM scheduler, 4 steps, R = 7, at the model's native size.</summary>
    public static ModelPreset Lcm { get; } = new()
    {
        Name = "lcm",
        Description = "LCM: LCM scheduler, 4 steps, R = 7, native size",
        Parameters = PaperDefaults with { Scheduler = SchedulerNames.Lcm, InversionSteps = 4, RenoiseSteps = 7 },
    };

    /// <summary>SD 1.x/2.x: DDIM, 50 steps, R = 1, no noise correction, 512 x 512.</summary>
    public static ModelPreset Sd { get; } = new()
    {
        Name = "sd",
        Description = "SD 1.x/2.x: DDIM, 50 steps, R = 1, no noise correction, 512x512",
        Parameters = PaperDefaults with
        {
            Scheduler = SchedulerNames.Ddim, InversionSteps = 50, RenoiseSteps = 1, NoiseCorrection = NoiseCorrectionMode.Off,
        },
        ImageSize = 512,
    };

    /// <summary>SDXL base: DDIM, 50 steps, R = 1, no noise correction, 1024 x 1024.</summary>
    public static ModelPreset Sdxl { get; } = Sd with
    {
        Name = "sdxl",
        Description = "SDXL: DDIM, 50 steps, R = 1, no noise correction, 1024x1024",
        ImageSize = 1024,
    };

    /// <summary>No preset: the spec §2 defaults with the model's own scheduler at its native size.</summary>
    public static ModelPreset None { get; } = new()
    {
        Name = "none",
        Description = "no preset: spec defaults (4 steps, R = 9) with the model's own scheduler, native size",
        Parameters = PaperDefaults,
    };

    public static IReadOnlyList<ModelPreset> All { get; } = Array.AsReadOnly([SdxlTurbo, SdTurbo, Lcm, Sd, Sdxl, None]);

    /// <summary>Valid preset names, "auto" first.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly([Auto, .. All.Select(p => p.Name)]);

    /// <summary>The paper's preset for a variant.</summary>
    public static ModelPreset For(ModelVariant variant) => variant switch
    {
        ModelVariant.SdxlTurbo => SdxlTurbo,
        ModelVariant.SdTurbo => SdTurbo,
        ModelVariant.Lcm or ModelVariant.SdxlLcm => Lcm,
        ModelVariant.Sdxl => Sdxl,
        _ => Sd,
    };

    /// <summary>
    /// The preset called <paramref name="name"/> (case-insensitive), or, for null or "auto", the one
    /// the folder's variant calls for. An unknown name is a <see cref="ReNoiseInputException"/>.
    /// </summary>
    public static ModelPreset Resolve(string? name, ModelFolder folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || string.Equals(trimmed, Auto, StringComparison.OrdinalIgnoreCase))
            return For(folder.Variant);
        return All.FirstOrDefault(p => string.Equals(p.Name, trimmed, StringComparison.OrdinalIgnoreCase))
               ?? throw new ReNoiseInputException($"unknown preset \"{name}\" (valid: {string.Join(", ", Names)})");
    }
}
