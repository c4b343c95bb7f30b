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

    /// <summary>"Sqlite" (the embedded default) or "Postgres" (any case); empty means Sqlite.</summary>
    public string? Provider { get; set; }

    /// <summary>SQLite: the database file; a relative path is taken from the content root; empty means <see cref="DefaultPath"/>.</summary>
    public string? Path { get; set; }

    /// <summary>PostgreSQL: an Npgsql connection string ("Host=127.0.0.1;Port=5433;Database=renoise;Username=renoise;Password=...").</summary>
    public string? ConnectionString { get; set; }

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

/// <summary>Fails start-up (with <c>ValidateOnStart</c>) on a provider that is not implemented, or PostgreSQL without a connection string, naming the key.</summary>
public sealed class ReNoiseDatabaseOptionsValidator : IValidateOptions<ReNoiseDatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, ReNoiseDatabaseOptions options)
    {
        if (options.ParseProvider(out var error) is not { } provider) return ValidateOptionsResult.Fail(error!);
        if (provider == DatabaseProvider.Postgres && string.IsNullOrWhiteSpace(options.ConnectionString))
            return ValidateOptionsResult.Fail($"{ReNoiseDatabaseOptions.SectionName}:ConnectionString is required when {ReNoiseDatabaseOptions.SectionName}:Provider is Postgres.");
        return ValidateOptionsResult.Success;
    }
}
