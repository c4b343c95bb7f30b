namespace ReNoise.Engine.Models;

/// <summary>One (tokenizer, text encoder) pair of a model folder; SDXL has two.</summary>
/// <param name="TokenizerDirectory">Folder with vocab.json, merges.txt, special_tokens_map.json (tokenizer_config.json optional).</param>
/// <param name="TextEncoderPath">The encoder's model.onnx.</param>
internal sealed record TextEncoderFiles(string TokenizerDirectory, string TextEncoderPath);

/// <summary>
/// A model folder in the diffusers / Optimum ONNX layout (spec §7), validated when opened: every
/// required file exists, and the settings the engine needs are read from the JSON configs.
/// Opening touches no ONNX model; sessions are created later by <see cref="DiffusionModel"/>.
/// </summary>
public sealed class ModelFolder
{
    /// <summary>SD's VAE latent scaling when no VAE config says otherwise.</summary>
    public const float DefaultScalingFactor = 0.18215f;

    private const int DefaultVaeScaleFactor = 8;
    private const int FallbackImageSize = 512;
    private const int DefaultLatentChannels = 4;

    private ModelFolder(string root) => Root = root;

    /// <summary>Absolute path of the folder.</summary>
    public string Root { get; }

    /// <summary>model_index.json when the folder has one (it is optional in ONNX exports).</summary>
    public string? ModelIndexPath { get; private init; }

    public string SchedulerConfigPath { get; private init; } = "";

    /// <summary>The (tokenizer, text encoder) pairs in pipeline order: one for SD 1.x/2.x, two for SDXL.</summary>
    internal IReadOnlyList<TextEncoderFiles> TextEncoders { get; private init; } = [];

    public string UNetPath { get; private init; } = "";
    public string VaeEncoderPath { get; private init; } = "";
    public string VaeDecoderPath { get; private init; } = "";

    public ModelFamily Family { get; private init; }

    /// <summary>The published model the configs point to (SD 1.x, SD-Turbo, SDXL-Turbo, LCM...); it picks the preset.</summary>
    public ModelVariant Variant { get; private init; }

    /// <summary><c>_class_name</c> of model_index.json (e.g. StableDiffusionXLPipeline), when present.</summary>
    public string? PipelineClassName { get; private init; }

    /// <summary><c>_class_name</c> of the scheduler config (e.g. EulerAncestralDiscreteScheduler), when present.</summary>
    public string? SchedulerClassName { get; private init; }

    /// <summary>
    /// The sampler the scheduler config names (<see cref="Schedulers.SchedulerNames"/>); ddim when it names
    /// one the engine does not run (PNDM, DPM-Solver...) or none.
    /// </summary>
    public string DefaultScheduler => Schedulers.SchedulerFactory.DefaultNameFor(SchedulerClassName, out _);

    /// <summary><c>timestep_spacing</c> of the scheduler config, when present.</summary>
    public string? TimestepSpacing { get; private init; }

    /// <summary><c>time_cond_proj_dim</c> of the UNet config: set for LCM-distilled UNets, which take <c>timestep_cond</c>.</summary>
    public int? TimeCondProjDim { get; private init; }

    /// <summary>VAE latent scaling (<c>scaling_factor</c> of the VAE config; 0.18215 when absent).</summary>
    public float ScalingFactor { get; private init; }

    /// <summary>Pixels per latent cell along each axis: 2^(len(block_out_channels) - 1), default 8.</summary>
    public int VaeScaleFactor { get; private init; }

    /// <summary>Latent channels (VAE <c>latent_channels</c> or UNet <c>in_channels</c>; default 4).</summary>
    public int LatentChannels { get; private init; }

    /// <summary>The UNet's native latent size (<c>sample_size</c>), when its config states it.</summary>
    public int? SampleSize { get; private init; }

    /// <summary>Native image side: sample_size x VAE scale factor, or 512 when the UNet config is silent.</summary>
    public int DefaultImageSize { get; private init; }

    /// <summary><c>_name_or_path</c> of model_index.json (or of the UNet config), when recorded.</summary>
    public string? NameOrPath { get; private init; }

    /// <summary>SDXL's <c>force_zeros_for_empty_prompt</c> from model_index.json (SDXL default true).</summary>
    public bool ForceZerosForEmptyPrompt { get; private init; }

    /// <summary>
    /// Validates the layout of <paramref name="folder"/> and reads its configs. Throws
    /// <see cref="ReNoiseInputException"/> naming the first missing file or unreadable config.
    /// </summary>
    public static ModelFolder Open(string folder)
    {
        if (string.IsNullOrWhiteSpace(folder))
            throw new ReNoiseInputException("model folder path is empty");
        // One spelling per folder (no trailing separator), so registries and manifests compare equal.
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (File.Exists(root))
            throw new ReNoiseInputException($"model path is a file, not a model folder: {root}");
        if (!Directory.Exists(root))
            throw new ReNoiseInputException($"model folder not found: {root}");

        var modelIndexPath = Path.Combine(root, "model_index.json");
        var modelIndex = JsonConfig.ReadIfExists(modelIndexPath);

        var schedulerConfig = Require(root, "scheduler", "scheduler_config.json");
        var scheduler = JsonConfig.Read(schedulerConfig);
        var textEncoders = new List<TextEncoderFiles> { RequireTextEncoder(root, "tokenizer", "text_encoder") };

        // SDXL pairs a second tokenizer with a second (projection) text encoder.
        var isSdxl = Directory.Exists(Path.Combine(root, "text_encoder_2"))
                     || Directory.Exists(Path.Combine(root, "tokenizer_2"))
                     || (modelIndex?.Has("text_encoder_2") ?? false);
        if (isSdxl)
            textEncoders.Add(RequireTextEncoder(root, "tokenizer_2", "text_encoder_2"));

        var unetPath = Require(root, "unet", "model.onnx");
        var vaeEncoderPath = Require(root, "vae_encoder", "model.onnx");
        var vaeDecoderPath = Require(root, "vae_decoder", "model.onnx");

        var unetConfig = JsonConfig.ReadIfExists(Path.Combine(root, "unet", "config.json"));
        var vaeConfig = JsonConfig.ReadIfExists(Path.Combine(root, "vae_decoder", "config.json"))
                        ?? JsonConfig.ReadIfExists(Path.Combine(root, "vae_encoder", "config.json"));

        var scalingFactor = (float)(vaeConfig?.GetDouble("scaling_factor") ?? DefaultScalingFactor);
        if (!(scalingFactor > 0) || !float.IsFinite(scalingFactor))
            throw new ReNoiseInputException($"{vaeConfig!.Path}: scaling_factor must be a positive number, got {scalingFactor}");

        var blocks = vaeConfig?.GetArrayLength("block_out_channels");
        var vaeScaleFactor = blocks is > 0 ? 1 << (blocks.Value - 1) : DefaultVaeScaleFactor;

        var latentChannels = vaeConfig?.GetInt("latent_channels") ?? unetConfig?.GetInt("in_channels") ?? DefaultLatentChannels;
        var sampleSize = unetConfig?.GetInt("sample_size");
        var nameOrPath = modelIndex?.GetString("_name_or_path") ?? unetConfig?.GetString("_name_or_path");

        var family = isSdxl
            ? ModelFamily.Sdxl
            : DetectSdFamily(nameOrPath, textEncoders[0].TokenizerDirectory, unetConfig?.GetInt("cross_attention_dim"));
        var pipelineClass = modelIndex?.GetString("_class_name");
        var schedulerClass = scheduler.GetString("_class_name");
        var spacing = scheduler.GetString("timestep_spacing");
        var timeCondProjDim = unetConfig?.GetInt("time_cond_proj_dim");

        return new ModelFolder(root)
        {
            ModelIndexPath = modelIndex is null ? null : modelIndexPath,
            SchedulerConfigPath = schedulerConfig,
            TextEncoders = textEncoders,
            UNetPath = unetPath,
            VaeEncoderPath = vaeEncoderPath,
            VaeDecoderPath = vaeDecoderPath,
            Family = family,
            Variant = DetectVariant(family, nameOrPath, pipelineClass, schedulerClass, spacing, timeCondProjDim),
            PipelineClassName = pipelineClass,
            SchedulerClassName = schedulerClass,
            TimestepSpacing = spacing,
            TimeCondProjDim = timeCondProjDim,
            ScalingFactor = scalingFactor,
            VaeScaleFactor = vaeScaleFactor,
            LatentChannels = latentChannels,
            SampleSize = sampleSize,
            DefaultImageSize = sampleSize is > 0 ? sampleSize.Value * vaeScaleFactor : FallbackImageSize,
            NameOrPath = nameOrPath,
            ForceZerosForEmptyPrompt = modelIndex?.GetBool("force_zeros_for_empty_prompt") ?? isSdxl,
        };
    }

    /// <summary>
    /// The published model behind the folder. Latent consistency: a UNet that takes the guidance
    /// embedding (time_cond_proj_dim), an LCM pipeline class or scheduler, or "lcm" in the hub name.
    /// Turbo: "turbo" in the hub name, or an Euler scheduler with trailing spacing (how SD-Turbo and
    /// SDXL-Turbo ship; SD 1.x/2.x and SDXL base use leading spacing). Otherwise the family's base model.
    /// </summary>
    internal static ModelVariant DetectVariant(ModelFamily family, string? nameOrPath, string? pipelineClass,
        string? schedulerClass, string? timestepSpacing, int? timeCondProjDim)
    {
        var name = nameOrPath?.ToLowerInvariant() ?? "";
        var lcm = timeCondProjDim is > 0
                  || (pipelineClass?.Contains("LatentConsistency", StringComparison.OrdinalIgnoreCase) ?? false)
                  || schedulerClass == "LCMScheduler"
                  || name.Contains("lcm");
        var turbo = name.Contains("turbo")
                    || (timestepSpacing == "trailing" && schedulerClass is "EulerAncestralDiscreteScheduler" or "EulerDiscreteScheduler");
        if (family == ModelFamily.Sdxl)
            return lcm ? ModelVariant.SdxlLcm : turbo ? ModelVariant.SdxlTurbo : ModelVariant.Sdxl;
        if (lcm) return ModelVariant.Lcm;
        if (turbo) return ModelVariant.SdTurbo;
        return family switch
        {
            ModelFamily.Sd1 => ModelVariant.Sd1,
            ModelFamily.Sd2 => ModelVariant.Sd2,
            _ => ModelVariant.UnknownSd,
        };
    }

    /// <summary>
    /// SD 2.x vs SD 1.x: first the recorded hub name, then the tokenizer's pad token (spec §7: "!" for
    /// SD 2.x / SD-Turbo, &lt;|endoftext|&gt; for SD 1.x), then the text width the UNet attends to.
    /// </summary>
    private static ModelFamily DetectSdFamily(string? nameOrPath, string tokenizerDirectory, int? crossAttentionDim)
    {
        if (nameOrPath is not null)
        {
            var name = nameOrPath.ToLowerInvariant();
            string[] sd2Hints = ["stable-diffusion-2", "stable-diffusion-v2", "sd-turbo", "sd2", "sd-2", "v2-1", "v2-base"];
            string[] sd1Hints = ["stable-diffusion-v1", "stable-diffusion-1", "sd-v1", "sd15", "sd14", "sd1", "sd-1", "v1-5", "v1-4"];
            if (sd2Hints.Any(name.Contains)) return ModelFamily.Sd2;
            if (sd1Hints.Any(name.Contains)) return ModelFamily.Sd1;
        }

        var pad = (JsonConfig.ReadIfExists(Path.Combine(tokenizerDirectory, "special_tokens_map.json"))?.GetTokenContent("pad_token"))
                  ?? JsonConfig.ReadIfExists(Path.Combine(tokenizerDirectory, "tokenizer_config.json"))?.GetTokenContent("pad_token");
        if (pad == "!") return ModelFamily.Sd2;
        if (pad == "<|endoftext|>") return ModelFamily.Sd1;

        return crossAttentionDim switch
        {
            768 => ModelFamily.Sd1,
            1024 => ModelFamily.Sd2,
            _ => ModelFamily.UnknownSd,
        };
    }

    private static TextEncoderFiles RequireTextEncoder(string root, string tokenizerFolder, string encoderFolder)
    {
        var vocab = Require(root, tokenizerFolder, "vocab.json");
        Require(root, tokenizerFolder, "merges.txt");
        // The pad token (which differs between SD 1.x and 2.x) is only stated here.
        Require(root, tokenizerFolder, "special_tokens_map.json");
        var encoder = Require(root, encoderFolder, "model.onnx");
        return new TextEncoderFiles(Path.GetDirectoryName(vocab)!, encoder);
    }

    private static string Require(string root, string component, string file)
    {
        var path = Path.Combine(root, component, file);
        if (!File.Exists(path))
            throw new ReNoiseInputException($"model folder is missing {path}");
        return path;
    }
}
