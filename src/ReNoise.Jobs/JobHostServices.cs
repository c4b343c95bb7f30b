using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using ReNoise.Data;
using ReNoise.Hosting;

namespace ReNoise.Jobs;

public static class JobHostServices
{
    /// <summary>
    /// What every host that admits or runs jobs needs, web node and worker alike: the studio's settings
    /// (checked at start-up), the database, the model settings and catalog, the per-job budget and the
    /// models' measured pace. Each host adds its own roles on top.
    /// </summary>
    public static IHostApplicationBuilder AddReNoiseJobHost(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StudioOptions>()
            .Bind(builder.Configuration.GetSection(StudioOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<StudioOptions>, StudioOptionsValidator>();
        builder.AddReNoiseData();
        builder.Services.AddReNoiseModelSettings(builder.Configuration);
        builder.Services.AddSingleton<IModelCatalog, ConfiguredModelCatalog>();
        builder.Services.AddSingleton<JobBudget>();
        builder.Services.AddSingleton<ModelPace>();
        return builder;
    }

    /// <summary>
    /// The user-facing settings are the repository-root appsettings.json, which the build copies beside
    /// the app: read it from there too, at the lowest precedence (the content root's files, environment
    /// variables and the command line still override it), so `dotnet run --project ...` and a published
    /// app both see it.
    /// </summary>
    public static void AddSettingsBesideTheApp(this IConfigurationBuilder configuration)
    {
        string file = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (!File.Exists(file)) return;
        configuration.Sources.Insert(0, new JsonConfigurationSource
        {
            FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
            Path = "appsettings.json",
            Optional = true,
            ReloadOnChange = false,
        });
    }
}
