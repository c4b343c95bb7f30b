using System.Net;
using MassTransit;
using OpenTelemetry.Trace;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using ReNoise.Data;
using ReNoise.Hosting;
using ReNoise.Jobs.Distributed;
using ReNoise.Web.Components;
using ReNoise.Web.Distributed;
using ReNoise.Web.Endpoints;
using ReNoise.Web.Hosting;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;
using ReNoise.Web.Sessions;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddSettingsBesideTheApp();

// Embedded (default): this process runs its jobs, on SQLite. Distributed: a web node of a cluster, on
// PostgreSQL, handing jobs to GPU workers through RabbitMQ (docs/scale-out.md).
var mode = StudioModes.Read(builder.Configuration);
string nodeName = builder.Configuration["ReNoise:NodeName"] is { Length: > 0 } named ? named : $"{Environment.MachineName}-{Environment.ProcessId}";
builder.Services.AddSingleton(new NodeIdentity(nodeName));

// Settings, database, models and budgets, as the worker has them. A distributed web node plans jobs on the
// model settings (form checks, budgets) but never runs one.
builder.AddReNoiseJobHost();
builder.Services.AddSingleton<UploadValidator>();
builder.Services.AddSingleton<JobProgressHub>();
builder.Services.AddSingleton<JobQueue>();
builder.Services.AddSingleton<JobStatusReader>();
builder.Services.AddSingleton<PromptTokenCounter>();
builder.Services.AddSingleton<GalleryEvents>();
builder.Services.AddSingleton<InversionArchives>();
builder.Services.AddSingleton<StudioPresets>();
var health = builder.Services.AddHealthChecks().AddCheck<DatabaseWriteCheck>("database");
builder.Services.AddReNoiseTelemetry(builder.Configuration, "renoise-web", tracing => tracing.AddAspNetCoreInstrumentation());
if (mode == StudioMode.Embedded)
{
    builder.Services.AddSingleton<InProcessJobs>();
    builder.Services.AddSingleton<IJobBackend>(sp => sp.GetRequiredService<InProcessJobs>());
    builder.Services.AddSingleton<IJobProgressSink>(sp => sp.GetRequiredService<JobProgressHub>());
    builder.Services.AddSingleton<JobRunner>();
    builder.Services.AddHostedService<JobWorker>();
}
else
{
    RequirePostgres(builder.Configuration);
    builder.Services.AddSingleton<BrokerJobs>();
    builder.Services.AddSingleton<IJobBackend>(sp => sp.GetRequiredService<BrokerJobs>());
    builder.Services.AddHostedService<SharedQueueMonitor>();
    // Progress reaches this node through its own temporary queue (auto-deleted when the node goes), which the
    // broker binds to the progress exchange: every node gets every job's progress. MassTransit adds the bus's
    // health check ("masstransit-bus") to /healthz.
    builder.Services.AddReNoiseBroker(builder.Configuration,
        x => x.AddConsumer<ProgressRelay>().Endpoint(e =>
        {
            e.Temporary = true;
            e.InstanceId = "-" + nodeName;
        }),
        (context, cfg) => cfg.ConfigureEndpoints(context));
}
builder.Services.AddSingleton<StudioHousekeeping>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<StudioHousekeeping>());

// Behind a TLS-terminating proxy: its X-Forwarded-For/-Proto are believed only from loopback and the
// configured proxies, so the session cookie is Secure when the browser's connection is.
builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<StudioOptions>>((forwarded, studio) =>
{
    forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
    foreach (string proxy in studio.Value.ForwardedHeaders.KnownProxies)
        if (IPAddress.TryParse(proxy, out var address)) forwarded.KnownProxies.Add(address);
    foreach (string network in studio.Value.ForwardedHeaders.KnownNetworks)
        if (System.Net.IPNetwork.TryParse(network, out var parsed)) forwarded.KnownIPNetworks.Add(parsed);
});

builder.Services.AddMudServices();
// The server pings every 5 s and the page's script gives up on a silent server after 12 s
// (wwwroot/js/studio.js), so a server that went away shows the reconnect banner within seconds.
builder.Services.AddRazorComponents().AddInteractiveServerComponents()
    .AddHubOptions(hub => hub.KeepAliveInterval = TimeSpan.FromSeconds(5));
builder.Services.AddScoped<CircuitConnection>();
builder.Services.AddScoped<CircuitHandler>(sp => sp.GetRequiredService<CircuitConnection>());

var app = builder.Build();

// The database exists and is current before the first request and before the job worker starts.
if (!await MigrateAsync(app)) return 1;
// Fail at start-up, not at the first job, when no model can be offered.
_ = app.Services.GetRequiredService<IModelCatalog>().Default;

app.UseForwardedHeaders();
app.UseMiddleware<SecurityHeaders>();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/error", createScopeForErrors: true);
    app.UseHsts();
}
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
// Routing after the status-code pages, so a re-executed /not-found is routed (and is seen as a page
// that creates no session).
app.UseRouting();
app.UseAntiforgery();
app.UseMiddleware<SessionMiddleware>();

app.MapStaticAssets();
app.MapHealthChecks(StudioHealth.Path, StudioHealth.Options);
app.MapStudioEndpoints();
app.MapJobApi();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

await app.RunAsync();
return 0;

// Applies migrations. A database that cannot be written (full disk, read-only) is one clear log line:
// with no migration pending the studio starts anyway (pages read; /healthz says unhealthy until it
// can write), otherwise it stops with exit code 1.
static async Task<bool> MigrateAsync(WebApplication app)
{
    try
    {
        await app.Services.ApplyReNoiseMigrationsAsync();
        return true;
    }
    catch (Exception e) when (StorageFailure.Describe(e) is { } reason)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ReNoise.Web.Startup");
        string path = app.Services.GetRequiredService<ReNoiseDatabaseSettings>().FilePath ?? "(database)";
        bool pending;
        try
        {
            pending = await app.Services.HasPendingReNoiseMigrationsAsync();
        }
        catch (Exception)
        {
            pending = true;
        }
        if (pending)
        {
            logger.LogCritical("The database {Path} cannot be written ({Reason}) and needs a migration; the studio cannot start until it can be written.", path, reason);
            return false;
        }
        logger.LogError("The database {Path} cannot be written ({Reason}); starting anyway: pages that only read work, new jobs are refused until it can be written.", path, reason);
        return true;
    }
}

// Distributed mode shares its jobs and gallery between processes: only PostgreSQL holds them for all.
static void RequirePostgres(IConfiguration configuration)
{
    var options = configuration.GetSection(ReNoiseDatabaseOptions.SectionName).Get<ReNoiseDatabaseOptions>() ?? new ReNoiseDatabaseOptions();
    if (options.ParseProvider(out _) != DatabaseProvider.Postgres)
        throw new InvalidOperationException($"{StudioModes.Key} Distributed needs {ReNoiseDatabaseOptions.SectionName}:Provider Postgres (and its ConnectionString): web nodes and workers share one database.");
}

public partial class Program;
