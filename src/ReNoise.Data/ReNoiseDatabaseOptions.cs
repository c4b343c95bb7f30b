using Microsoft.Extensions.Options;

namespace ReNoise.Data;

/// <summary>
/// The <c>ReNoise:Database</c> settings as configured (Options pattern). <see cref="ReNoiseDatabaseSettings"/>
/// is what they resolve to: a provider and a connection string.
/// </summary>
public sealed class ReNoiseDatabaseOptions
{
    public const string SectionName = "ReNoise:Database";
    public const string DefaultPath = "App_Data/renoise.db";

    /// <summary>Only "Sqlite" is implemented (any case); empty means Sqlite.</summary>
    public string? Provider { get; set; }

    /// <summary>The database file; a relative path is taken from the content root; empty means <see cref="DefaultPath"/>.</summary>
    public string? Path { get; set; }

    /// <summary>The configured provider, or null (with <paramref name="error"/> naming the key and the value) when it is not supported.</summary>
    public DatabaseProvider? ParseProvider(out string? error)
    {
        string text = string.IsNullOrEmpty(Provider) ? nameof(DatabaseProvider.Sqlite) : Provider;
        if (Enum.TryParse(text, ignoreCase: true, out DatabaseProvider provider) && Enum.IsDefined(provider))
        {
            error = null;
            return provider;
        }
        error = $"{SectionName}:Provider '{text}' is not supported; supported: {string.Join(", ", Enum.GetNames<DatabaseProvider>())}.";
        return null;
    }
}

/// <summary>Fails start-up (with <c>ValidateOnStart</c>) on a provider that is not implemented, naming the key and the value.</summary>
public sealed class ReNoiseDatabaseOptionsValidator : IValidateOptions<ReNoiseDatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, ReNoiseDatabaseOptions options)
        => options.ParseProvider(out var error) is null ? ValidateOptionsResult.Fail(error!) : ValidateOptionsResult.Success;
}
