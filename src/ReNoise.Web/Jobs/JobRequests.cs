using System.Text.Json;
using ReNoise.Web.Services;

namespace ReNoise.Web.Jobs;

/// <summary>What an invert job runs, as stored in the job row's RequestJson.</summary>
public sealed record InvertJobRequest(string Model, string Prompt, string? Scheduler, string FileName, ParameterSet Parameters);

/// <summary>What an edit job runs (the inversion is the job row's InversionId).</summary>
public sealed record EditJobRequest(string Prompt, double Guidance);

public static class JobJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Write<T>(T request) => JsonSerializer.Serialize(request, Options);

    public static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("empty job request");
}
