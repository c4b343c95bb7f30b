using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using MudBlazor.Services;
using ReNoise.Data;
using ReNoise.Hosting;
using ReNoise.Web.Components;
using ReNoise.Web.Endpoints;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;
using ReNoise.Web.Sessions;

var builder = WebApplication.CreateBuilder(args);
AddSettingsBesideTheApp(builder.Configuration);

builder.Services.Configure<StudioOptions>(builder.Configuration.GetSection(StudioOptions.SectionName));
builder.AddReNoiseData();
// The model settings (ReNoise:Models, execution provider) are shared by every host; checked at start-up.
builder.Services.AddReNoiseModelSettings(builder.Configuration);
builder.Services.AddSingleton<IModelCatalog, ConfiguredModelCatalog>();
builder.Services.AddSingleton<UploadValidator>();
builder.Services.AddSingleton<JobProgressHub>();
builder.Services.AddSingleton<JobQueue>();
builder.Services.AddSingleton<JobRunner>();
builder.Services.AddSingleton<JobStatusReader>();
builder.Services.AddHostedService<JobWorker>();

builder.Services.AddMudServices();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();

var app = builder.Build();

// The database exists and is current before the first request and before the job worker starts.
await app.Services.ApplyReNoiseMigrationsAsync();
// Fail at start-up, not at the first job, when no model can be offered.
_ = app.Services.GetRequiredService<IModelCatalog>().Default;

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/error", createScopeForErrors: true);
    app.UseHsts();
}
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAntiforgery();
app.UseMiddleware<SessionMiddleware>();

app.MapStaticAssets();
app.MapStudioEndpoints();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

await app.RunAsync();

// The user-facing settings are the repository-root appsettings.json, which the build copies beside
// the app: read it from there too (lowest precedence, so the content root's files, environment
// variables and the command line still override it), so `dotnet run --project src/ReNoise.Web`
// and a published app both see it.
static void AddSettingsBesideTheApp(ConfigurationManager configuration)
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

public partial class Program;
