using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ReNoise.Data;

public static class ReNoiseDataServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ReNoiseDatabaseOptions"/> (bound to <c>ReNoise:Database</c>, validated on start),
    /// <see cref="ReNoiseDatabaseSettings"/> (singleton, a relative path taken from <paramref name="contentRootPath"/>),
    /// a pooled <see cref="IDbContextFactory{ReNoiseDbContext}"/>, <see cref="GalleryStore"/> (singleton)
    /// and <see cref="TimeProvider.System"/> unless one is registered.
    /// </summary>
    public static IServiceCollection AddReNoiseData(this IServiceCollection services, IConfiguration configuration, string contentRootPath)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrEmpty(contentRootPath);
        services.AddOptions<ReNoiseDatabaseOptions>()
            .Bind(configuration.GetSection(ReNoiseDatabaseOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReNoiseDatabaseOptions>, ReNoiseDatabaseOptionsValidator>());
        services.AddSingleton(sp => ReNoiseDatabaseSettings.FromOptions(
            sp.GetRequiredService<IOptions<ReNoiseDatabaseOptions>>().Value, contentRootPath));
        // Contexts are short-lived (one per GalleryStore operation) and pooled, so none is shared
        // between threads and none outlives its operation.
        // Interceptors registered as services (IInterceptor) join every context: a host's diagnostics,
        // or a test's simulated disk failure.
        services.AddPooledDbContextFactory<ReNoiseDbContext>((sp, options) =>
        {
            sp.GetRequiredService<ReNoiseDatabaseSettings>().Configure(options);
            options.AddInterceptors(sp.GetServices<IInterceptor>());
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GalleryStore>();
        return services;
    }

    /// <summary>Same as the <see cref="IServiceCollection"/> overload, with the host's configuration and content root.</summary>
    public static IHostApplicationBuilder AddReNoiseData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddReNoiseData(builder.Configuration, builder.Environment.ContentRootPath);
        return builder;
    }

    /// <summary>
    /// Applies pending migrations (creating the database and its folder) and turns on WAL. Call once
    /// at start-up, before serving requests and before the job worker runs.
    /// </summary>
    public static async Task ApplyReNoiseMigrationsAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var contexts = services.GetRequiredService<IDbContextFactory<ReNoiseDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await ReNoiseDatabase.MigrateAsync(db, cancellationToken);
    }

    /// <summary>True when the database lacks a migration of this build (reads only; works on a full disk).</summary>
    public static async Task<bool> HasPendingReNoiseMigrationsAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var contexts = services.GetRequiredService<IDbContextFactory<ReNoiseDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any();
    }
}
