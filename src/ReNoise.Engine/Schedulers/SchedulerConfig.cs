using System.Text.Json;

namespace ReNoise.Engine.Schedulers;

/// <summary>How the training betas are laid out (diffusers' beta_schedule).</summary>
internal enum BetaSchedule
{
    /// <summary>betas = linspace(beta_start, beta_end, T).</summary>
    Linear,

    /// <summary>betas = linspace(sqrt(beta_start), sqrt(beta_end), T)^2 (all SD / SDXL models).</summary>
    ScaledLinear,
}

/// <summary>What the UNet predicts (diffusers' prediction_type).</summary>
internal enum PredictionType
{
    Epsilon,
    VPrediction,
}

/// <summary>How inference timesteps are picked from the training range (spec §3).</summary>
internal enum TimestepSpacing
{
    Leading,
    Trailing,
    Linspace,
}

/// <summary>
/// A model's scheduler/scheduler_config.json, as diffusers reads it. Keys not listed here are
/// ignored; a key that is absent (or null) takes diffusers' default. <see cref="TimestepSpacing"/>
/// stays null when absent because its default depends on the scheduler class that uses the config
/// (DDIM: leading, Euler ancestral: linspace), as with diffusers' <c>from_config</c>.
/// </summary>
internal sealed record SchedulerConfig
{
    /// <summary>diffusers' _class_name (e.g. "EulerAncestralDiscreteScheduler"), null when absent.</summary>
    public string? ClassName { get; init; }

    public int NumTrainTimesteps { get; init; } = 1000;
    public double BetaStart { get; init; } = 0.0001;
    public double BetaEnd { get; init; } = 0.02;
    public BetaSchedule BetaSchedule { get; init; } = BetaSchedule.Linear;

    /// <summary>Explicit betas; when present they replace the beta_schedule.</summary>
    public IReadOnlyList<double>? TrainedBetas { get; init; }

    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary>Null when the config does not say; see <see cref="SpacingOr"/>.</summary>
    public TimestepSpacing? TimestepSpacing { get; init; }

    public int StepsOffset { get; init; }

    /// <summary>DDIM: the "previous" alpha after the last step is 1.0 (true) or alphas_cumprod[0].</summary>
    public bool SetAlphaToOne { get; init; } = true;

    /// <summary>LCM: length of the distillation schedule the inference steps are drawn from.</summary>
    public int OriginalInferenceSteps { get; init; } = 50;

    /// <summary>LCM: factor on t in the boundary-condition scalings c_skip, c_out.</summary>
    public double TimestepScaling { get; init; } = 10.0;

    /// <summary>The configured spacing, or the given scheduler-class default when the config has none.</summary>
    public TimestepSpacing SpacingOr(TimestepSpacing classDefault) => TimestepSpacing ?? classDefault;

    /// <summary>Reads and parses a scheduler_config.json file.</summary>
    public static SchedulerConfig Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ReNoiseInputException($"scheduler config not found: {path}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ReNoiseInputException($"cannot read scheduler config {path}: {ex.Message}", ex);
        }
        return Parse(json, path);
    }

    /// <summary>Parses scheduler_config.json text. <paramref name="source"/> names it in error messages.</summary>
    public static SchedulerConfig Parse(string json, string? source = null)
    {
        string where = source is null ? "scheduler config" : $"scheduler config {source}";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
        }
        catch (JsonException ex)
        {
            throw new ReNoiseInputException($"{where} is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ReNoiseInputException($"{where} must be a JSON object");

            var config = new SchedulerConfig();
            foreach (var property in root.EnumerateObject())
            {
                var value = property.Value;
                if (value.ValueKind == JsonValueKind.Null) continue; // null means "use the default", as in diffusers
                config = property.Name switch
                {
                    "_class_name" => config with { ClassName = ReadString(value, property.Name, where) },
                    "num_train_timesteps" => config with { NumTrainTimesteps = ReadInt(value, property.Name, where) },
                    "beta_start" => config with { BetaStart = ReadDouble(value, property.Name, where) },
                    "beta_end" => config with { BetaEnd = ReadDouble(value, property.Name, where) },
                    "beta_schedule" => config with { BetaSchedule = ReadBetaSchedule(value, where) },
                    "trained_betas" => config with { TrainedBetas = ReadDoubleArray(value, property.Name, where) },
                    "prediction_type" => config with { PredictionType = ReadPredictionType(value, where) },
                    "timestep_spacing" => config with { TimestepSpacing = ReadSpacing(value, where) },
                    "steps_offset" => config with { StepsOffset = ReadInt(value, property.Name, where) },
                    "set_alpha_to_one" => config with { SetAlphaToOne = ReadBool(value, property.Name, where) },
                    "original_inference_steps" => config with { OriginalInferenceSteps = ReadInt(value, property.Name, where) },
                    "timestep_scaling" => config with { TimestepScaling = ReadDouble(value, property.Name, where) },
                    _ => config,
                };
            }
            config.Validate(where);
            return config;
        }
    }

    private void Validate(string where)
    {
        if (NumTrainTimesteps < 1)
            throw new ReNoiseInputException($"{where}: num_train_timesteps must be at least 1 (got {NumTrainTimesteps})");
        if (TrainedBetas is null)
        {
            if (!(BetaStart >= 0 && BetaStart < 1) || !(BetaEnd >= 0 && BetaEnd < 1))
                throw new ReNoiseInputException($"{where}: beta_start and beta_end must lie in [0, 1) (got {BetaStart}, {BetaEnd})");
        }
        else
        {
            if (TrainedBetas.Count != NumTrainTimesteps)
                throw new ReNoiseInputException(
                    $"{where}: trained_betas has {TrainedBetas.Count} values but num_train_timesteps is {NumTrainTimesteps}");
            foreach (double beta in TrainedBetas)
                if (!(beta >= 0 && beta < 1))
                    throw new ReNoiseInputException($"{where}: trained_betas values must lie in [0, 1) (got {beta})");
        }
        if (StepsOffset < 0)
            throw new ReNoiseInputException($"{where}: steps_offset must not be negative (got {StepsOffset})");
        // Checked against num_train_timesteps only when an LCM schedule is built: other schedulers ignore it.
        if (OriginalInferenceSteps < 1)
            throw new ReNoiseInputException($"{where}: original_inference_steps must be at least 1 (got {OriginalInferenceSteps})");
        if (!(TimestepScaling > 0) || double.IsInfinity(TimestepScaling))
            throw new ReNoiseInputException($"{where}: timestep_scaling must be a positive number (got {TimestepScaling})");
    }

    private static string ReadString(JsonElement value, string key, string where) =>
        value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new ReNoiseInputException($"{where}: {key} must be a string");

    private static double ReadDouble(JsonElement value, string key, string where) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double d) && double.IsFinite(d)
            ? d
            : throw new ReNoiseInputException($"{where}: {key} must be a number");

    private static int ReadInt(JsonElement value, string key, string where)
    {
        // Accept 1000 and 1000.0 alike (configs written from Python floats), reject 0.5.
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (value.TryGetInt32(out int i)) return i;
            if (value.TryGetDouble(out double d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue) return (int)d;
        }
        throw new ReNoiseInputException($"{where}: {key} must be an integer");
    }

    private static bool ReadBool(JsonElement value, string key, string where) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new ReNoiseInputException($"{where}: {key} must be true or false"),
    };

    private static double[] ReadDoubleArray(JsonElement value, string key, string where)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw new ReNoiseInputException($"{where}: {key} must be an array of numbers");
        var result = new double[value.GetArrayLength()];
        int i = 0;
        foreach (var item in value.EnumerateArray()) result[i++] = ReadDouble(item, key, where);
        return result;
    }

    private static BetaSchedule ReadBetaSchedule(JsonElement value, string where) =>
        ReadString(value, "beta_schedule", where) switch
        {
            "linear" => BetaSchedule.Linear,
            "scaled_linear" => BetaSchedule.ScaledLinear,
            var other => throw new ReNoiseInputException(
                $"{where}: beta_schedule \"{other}\" is not supported (supported: linear, scaled_linear)"),
        };

    private static PredictionType ReadPredictionType(JsonElement value, string where) =>
        ReadString(value, "prediction_type", where) switch
        {
            "epsilon" => PredictionType.Epsilon,
            "v_prediction" => PredictionType.VPrediction,
            "sample" => throw new ReNoiseInputException(
                $"{where}: prediction_type \"sample\" is not supported: ReNoise needs a noise prediction (supported: epsilon, v_prediction)"),
            var other => throw new ReNoiseInputException(
                $"{where}: prediction_type \"{other}\" is not supported (supported: epsilon, v_prediction)"),
        };

    private static TimestepSpacing ReadSpacing(JsonElement value, string where) =>
        ReadString(value, "timestep_spacing", where) switch
        {
            "leading" => Schedulers.TimestepSpacing.Leading,
            "trailing" => Schedulers.TimestepSpacing.Trailing,
            "linspace" => Schedulers.TimestepSpacing.Linspace,
            var other => throw new ReNoiseInputException(
                $"{where}: timestep_spacing \"{other}\" is not supported (supported: leading, trailing, linspace)"),
        };
}
