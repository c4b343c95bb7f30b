using System.Text.Json;
using System.Text.Json.Serialization;
using ReNoise.Engine.Inversion;

namespace ReNoise.Jobs;

/// <summary>What an invert job runs, as stored in the job row's RequestJson: the engine's parameters as submitted.</summary>
public sealed record InvertJobRequest(string Model, string Prompt, string FileName, InversionParameters Parameters);

/// <summary>What an edit job runs (the inversion is the job row's InversionId).</summary>
public sealed record EditJobRequest(string Prompt, double Guidance);

public static class JobJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Write<T>(T request) => JsonSerializer.Serialize(request, Options);

    public static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("empty job request");
}
