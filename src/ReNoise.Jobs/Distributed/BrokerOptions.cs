using Microsoft.Extensions.Options;

namespace ReNoise.Jobs.Distributed;

/// <summary>How this process runs: the single embedded process (default), or one node of a distributed deployment.</summary>
public enum StudioMode
{
    /// <summary>One process: the web studio runs its jobs itself, on SQLite, with nothing to install.</summary>
    Embedded,
    /// <summary>Web nodes and GPU workers as separate processes on PostgreSQL and RabbitMQ (docs/scale-out.md).</summary>
    Distributed,
}

/// <summary><c>ReNoise:Mode</c>, read once at start-up; anything but the two names stops the start-up naming the key.</summary>
public static class StudioModes
{
    public const string Key = "ReNoise:Mode";

    public static StudioMode Read(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        string? text = configuration[Key];
        if (string.IsNullOrWhiteSpace(text)) return StudioMode.Embedded;
        if (Enum.TryParse(text, ignoreCase: true, out StudioMode mode) && Enum.IsDefined(mode)) return mode;
        throw new InvalidOperationException($"{Key} '{text}' is not supported; supported: {string.Join(", ", Enum.GetNames<StudioMode>())}.");
    }
}

/// <summary>The RabbitMQ broker of the distributed mode, <c>ReNoise:Broker</c>.</summary>
public sealed class BrokerOptions
{
    public const string SectionName = "ReNoise:Broker";

    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    public string Username { get; set; } = "guest";
    public string Password { get; set; } = "guest";

    /// <summary>Least time between two progress messages of one job (phase changes, previews and the end are always sent).</summary>
    public int ProgressIntervalMs { get; set; } = 250;

    /// <summary>How often a web node reads the shared queue (places in line, queue depth, jobs to hand to the broker again).</summary>
    public int QueuePollMs { get; set; } = 2000;

    /// <summary>A job still queued this long after it was handed to the broker is handed again (a broker that lost it); duplicates are harmless.</summary>
    public int RedispatchAfterSeconds { get; set; } = 600;
}

public sealed class BrokerOptionsValidator : IValidateOptions<BrokerOptions>
{
    public ValidateOptionsResult Validate(string? name, BrokerOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Host)) problems.Add($"{BrokerOptions.SectionName}:Host is empty");
        if (options.Port is < 1 or > 65535) problems.Add($"{BrokerOptions.SectionName}:Port must be from 1 to 65535, got {options.Port}");
        if (options.ProgressIntervalMs < 0) problems.Add($"{BrokerOptions.SectionName}:ProgressIntervalMs must be at least 0, got {options.ProgressIntervalMs}");
        if (options.QueuePollMs < 100) problems.Add($"{BrokerOptions.SectionName}:QueuePollMs must be at least 100, got {options.QueuePollMs}");
        if (options.RedispatchAfterSeconds < 10) problems.Add($"{BrokerOptions.SectionName}:RedispatchAfterSeconds must be at least 10, got {options.RedispatchAfterSeconds}");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
