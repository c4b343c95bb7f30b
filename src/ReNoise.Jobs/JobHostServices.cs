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
}
