using MassTransit;
using OpenTelemetry.Trace;
using ReNoise.Data;
using ReNoise.Jobs;
using ReNoise.Jobs.Distributed;
using ReNoise.Worker;

// The GPU worker of the distributed mode (docs/scale-out.md): the same settings as the web app (ReNoise:Models,
// execution provider, Jobs limits, Database, Broker), no UI. It serves the queues of the models it has.
var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddSettingsBesideTheApp();

builder.AddReNoiseJobHost();
builder.Services.AddSingleton<JobRunner>();
builder.Services.AddSingleton<RunningJobs>();
builder.Services.AddSingleton<BrokerProgressSink>();
builder.Services.AddSingleton<IJobProgressSink>(sp => sp.GetRequiredService<BrokerProgressSink>());
builder.Services.AddHostedService(sp => sp.GetRequiredService<BrokerProgressSink>());
builder.Services.AddSingleton<ModelWarmUp>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelWarmUp>());
builder.Services.AddReNoiseTelemetry(builder.Configuration, "renoise-worker", tracing => tracing.AddAspNetCoreInstrumentation());
builder.Services.AddHealthChecks()
    .AddCheck<DatabaseWriteCheck>("database")
    .AddCheck<ModelsLoadedCheck>("models");

string instance = builder.Configuration["ReNoise:NodeName"] is { Length: > 0 } named ? named : $"{Environment.MachineName}-{Environment.ProcessId}";
builder.Services.AddReNoiseBroker(builder.Configuration,
    x =>
    {
        x.AddConsumer<RunJobConsumer>();
        // Cancellations reach every worker through its own temporary queue.
        x.AddConsumer<CancelJobConsumer>().Endpoint(e =>
        {
            e.Temporary = true;
            e.InstanceId = "-" + instance;
        });
    },
    (context, cfg) =>
    {
        var catalog = context.GetRequiredService<IModelCatalog>();
        foreach (var model in catalog.Models)
        {
            // One durable queue per model; every worker with the model competes for its jobs, taking at most as
            // many at once as the model batches (prefetch = concurrency), so no job waits in a busy worker's buffer.
            cfg.ReceiveEndpoint(BrokerNames.ModelQueue(model.Name), e =>
            {
                e.ConfigureConsumeTopology = false; // fed by sends to this queue, not by publishes
                e.PrefetchCount = model.Concurrency;
                e.ConcurrentMessageLimit = model.Concurrency;
                // A database that is briefly away (a restart) delays the claim; past these the message goes to the
                // error queue and the web nodes' sweep sends the job again.
                e.UseMessageRetry(r => r.Exponential(6, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2)));
                e.ConfigureConsumer<RunJobConsumer>(context);
            });
        }
        cfg.ConfigureEndpoints(context);
    });

var app = builder.Build();

var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ReNoise.Worker");
if (app.Services.GetRequiredService<ReNoiseDatabaseSettings>().Provider != DatabaseProvider.Postgres)
{
    logger.LogCritical("The worker shares its jobs with the web nodes: set ReNoise:Database:Provider to Postgres (and its ConnectionString).");
    return 1;
}
// Concurrent start-ups are safe: EF Core takes a migration lock on the database.
await app.Services.ApplyReNoiseMigrationsAsync();
var catalog = app.Services.GetRequiredService<IModelCatalog>();
logger.LogInformation("Worker {Instance} serving {Models} (queues {Queues})", instance,
    string.Join(", ", catalog.Models.Select(m => $"{m.Name} x{m.Concurrency}")), string.Join(", ", catalog.Models.Select(m => BrokerNames.ModelQueue(m.Name))));

app.MapHealthChecks(WorkerHealth.Path, WorkerHealth.Options);
await app.RunAsync();
return 0;

public partial class Program;
