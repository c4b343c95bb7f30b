using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReNoise.Engine;
using ReNoise.Engine.Models;

namespace ReNoise.Hosting;

/// <summary>One entry of <c>ReNoise:Models</c>: a name and a model folder (relative paths resolve against the host's base directories).</summary>
public sealed class ModelEntrySettings
{
    public string? Name { get; set; }
    public string? Path { get; set; }

    /// <summary>Jobs of this model a host runs at once (1 or more); null takes the host's default.</summary>
    public int? Concurrency { get; set; }
}

/// <summary>
/// The <c>ReNoise</c> configuration section (appsettings.json, environment, command line), bound
/// with the Options pattern (<see cref="ReNoiseHostingServiceCollectionExtensions.AddReNoiseModelSettings"/>):
/// <code>
/// "ReNoise": {
///   "ExecutionProvider": "auto",          // auto | cuda | cpu
///   "CudaDeviceId": 0,
///   "IntraOpThreads": 0,                  // 0: ONNX Runtime decides
///   "DefaultModel": "sdxl-turbo",
///   "Models": [ { "Name": "sdxl-turbo", "Path": "models/sdxl-turbo-onnx", "Concurrency": 1 } ]
/// }
/// </code>
/// Settings that affect every model are checked at start-up (<see cref="ReNoiseSettingsValidator"/>);
/// model entries are checked by <see cref="ModelRegistry.Create(ReNoiseSettings, IReadOnlyList{string}, FallbackModel?)"/>,
/// which skips a bad one with its reason.
/// </summary>
public sealed class ReNoiseSettings
{
    public const string SectionName = "ReNoise";

    public string ExecutionProvider { get; set; } = "auto";
    public int CudaDeviceId { get; set; }
    public int IntraOpThreads { get; set; }
    public string? DefaultModel { get; set; }
    public List<ModelEntrySettings> Models { get; set; } = [];

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
}

/// <summary>
/// Fails start-up (with <c>ValidateOnStart</c>) on settings that affect every model and on model
/// entries the binder could not read, naming the key. The binder drops a list entry whose number
/// does not convert without a word, so entries are checked against the raw configuration.
/// </summary>
public sealed class ReNoiseSettingsValidator(IConfiguration configuration) : IValidateOptions<ReNoiseSettings>
{
    public ValidateOptionsResult Validate(string? name, ReNoiseSettings options)
    {
        var failures = new List<string>();
        try
        {
            options.ToLoadOptions();
        }
        catch (ReNoiseInputException e)
        {
            failures.Add(e.Message);
        }
        foreach (var entry in configuration.GetSection(ReNoiseSettings.SectionName).GetSection("Models").GetChildren())
        {
            var text = entry["Concurrency"];
            if (!string.IsNullOrWhiteSpace(text) && !int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                failures.Add($"{entry.Path}:Concurrency must be an integer, got '{text}'");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

public static class ReNoiseHostingServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="ReNoiseSettings"/> to the <c>ReNoise</c> section of <paramref name="configuration"/>
    /// and validates it when the host starts.
    /// </summary>
    public static OptionsBuilder<ReNoiseSettings> AddReNoiseModelSettings(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IValidateOptions<ReNoiseSettings>>(new ReNoiseSettingsValidator(configuration));
        return services.AddOptions<ReNoiseSettings>()
            .Bind(configuration.GetSection(ReNoiseSettings.SectionName))
            .ValidateOnStart();
    }
}
