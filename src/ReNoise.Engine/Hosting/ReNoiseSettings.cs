using System.Globalization;
using Microsoft.Extensions.Configuration;
using ReNoise.Engine.Models;

namespace ReNoise.Engine.Hosting;

/// <summary>One entry of <c>ReNoise:Models</c>: a name and a model folder (relative paths resolve against the host's base directories).</summary>
public sealed class ModelEntrySettings
{
    public string? Name { get; set; }
    public string? Path { get; set; }

    /// <summary>Jobs of this model a host runs at once (1 or more); null takes the host's default.</summary>
    public int? Concurrency { get; set; }
}

/// <summary>
/// The <c>ReNoise</c> configuration section (appsettings.json, environment, command line):
/// <code>
/// "ReNoise": {
///   "ExecutionProvider": "auto",          // auto | cuda | cpu
///   "CudaDeviceId": 0,
///   "IntraOpThreads": 0,                  // 0: ONNX Runtime decides
///   "DefaultModel": "sdxl-turbo",
///   "Models": [ { "Name": "sdxl-turbo", "Path": "models/sdxl-turbo-onnx", "Concurrency": 1 } ]
/// }
/// </code>
/// A plain settable class, so it also binds with the configuration binder; <see cref="FromConfiguration"/>
/// reads it without one and names the key of any value it cannot use.
/// </summary>
public sealed class ReNoiseSettings
{
    public const string SectionName = "ReNoise";

    public string ExecutionProvider { get; set; } = "auto";
    public int CudaDeviceId { get; set; }
    public int IntraOpThreads { get; set; }
    public string? DefaultModel { get; set; }
    public List<ModelEntrySettings> Models { get; set; } = [];

    /// <summary>
    /// Reads section <paramref name="sectionName"/> of <paramref name="configuration"/> (absent keys keep
    /// their defaults). A number that does not parse (an entry's <c>Concurrency</c> too) is a
    /// <see cref="ReNoiseInputException"/> naming its key; model entries are not otherwise checked here
    /// (see <see cref="ModelRegistry.Create(ReNoiseSettings, IReadOnlyList{string}, FallbackModel?)"/>).
    /// </summary>
    public static ReNoiseSettings FromConfiguration(IConfiguration configuration, string sectionName = SectionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(sectionName);
        var settings = new ReNoiseSettings
        {
            ExecutionProvider = section["ExecutionProvider"] ?? "auto",
            CudaDeviceId = ReadInt(section, "CudaDeviceId"),
            IntraOpThreads = ReadInt(section, "IntraOpThreads"),
            DefaultModel = section["DefaultModel"],
        };
        // Array children come back ordered by index (the configuration key comparer sorts numerically).
        foreach (var entry in section.GetSection("Models").GetChildren())
            settings.Models.Add(new ModelEntrySettings { Name = entry["Name"], Path = entry["Path"], Concurrency = ReadOptionalInt(entry, "Concurrency") });
        return settings;
    }

    /// <summary>The session options these settings ask for; a bad value is a <see cref="ReNoiseInputException"/> naming its key.</summary>
    public ModelLoadOptions ToLoadOptions()
    {
        var provider = ModelLoadOptions.ParseExecutionProvider(ExecutionProvider, $"{SectionName}:ExecutionProvider");
        if (CudaDeviceId < 0)
            throw new ReNoiseInputException($"{SectionName}:CudaDeviceId must be 0 or more, got {CudaDeviceId}");
        if (IntraOpThreads < 0)
            throw new ReNoiseInputException($"{SectionName}:IntraOpThreads must be 0 (automatic) or positive, got {IntraOpThreads}");
        return new ModelLoadOptions { ExecutionProvider = provider, CudaDeviceId = CudaDeviceId, IntraOpThreads = IntraOpThreads };
    }

    private static int ReadInt(IConfigurationSection section, string key) => ReadOptionalInt(section, key) ?? 0;

    private static int? ReadOptionalInt(IConfigurationSection section, string key)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text)) return null;
        return int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ReNoiseInputException($"{section.Path}:{key} must be an integer, got '{text}'");
    }
}
