using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Endpoints;

/// <summary>
/// Jobs over HTTP, for scripts and the cluster's smoke test: submit an inversion, read a job, follow its progress
/// as server-sent events, cancel it, list the gallery. The session cookie is the identity (a page visit creates
/// it, as for the studio), and every submission goes through the same admission as the studio's form
/// (<see cref="JobQueue"/>: upload and parameter checks, the job budget, the session quota, the queue limit).
/// Requests must carry the header <see cref="Header"/>: a cross-site form cannot set it, and a cross-site script
/// would need a CORS pre-flight this app never grants (besides the cookie's SameSite=Lax).
/// </summary>
public static class JobApiEndpoints
{
    public const string Header = "X-ReNoise-Api";

    public static IEndpointRouteBuilder MapJobApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            http.Response.Headers.CacheControl = "private, no-cache";
            if (!http.Request.Headers.ContainsKey(Header))
                return Results.Problem($"API requests carry the header {Header}.", statusCode: StatusCodes.Status400BadRequest);
            if (SessionCookie.Read(http.Request) is not Guid owner
                || !await http.RequestServices.GetRequiredService<GalleryStore>().TouchSessionAsync(owner, http.RequestAborted))
                return Results.Problem("No studio session: open the studio (or /gallery) first to get one.", statusCode: StatusCodes.Status401Unauthorized);
            http.Items[SessionMiddleware.OwnerKey] = owner;
            return await next(context);
        });

        // The studio form's fields: photo, prompt, model (default: the default model), and optionally the
        // parameters as the engine's JSON (default: the model's preset).
        api.MapPost("/jobs", async (HttpContext http, JobQueue queue, IModelCatalog catalog, UploadValidator validator, CancellationToken ct) =>
        {
            Guid owner = SessionMiddleware.OwnerOf(http);
            if (!http.Request.HasFormContentType) return Problem("Send multipart/form-data with a file 'photo' and a 'prompt'.");
            var form = await http.Request.ReadFormAsync(ct);
            if (form.Files.GetFile("photo") is not { } photo) return Problem("The form has no file 'photo'.");
            if (validator.CheckSize(photo.FileName, photo.Length) is { } size) return Problem(size);
            var model = catalog.Find(form["model"].FirstOrDefault() ?? catalog.Default.Name);
            if (model is null) return Problem($"model \"{form["model"]}\" is not configured on this server");
            InversionParameters parameters = model.Defaults;
            if (form["parameters"].FirstOrDefault() is { Length: > 0 } json)
            {
                try
                {
                    parameters = JobJson.Read<InversionParameters>(json);
                }
                catch (System.Text.Json.JsonException e)
                {
                    return Problem($"'parameters' is not the engine's parameters as JSON: {e.Message}");
                }
            }
            byte[] bytes;
            using (var buffer = new MemoryStream())
            {
                await photo.CopyToAsync(buffer, ct);
                bytes = buffer.ToArray();
            }
            var result = await queue.SubmitInversionAsync(owner,
                new InversionSubmission(bytes, Path.GetFileName(photo.FileName), form["prompt"].FirstOrDefault() ?? "", model.Name, parameters), ct);
            return result.JobId is Guid id
                ? Results.Accepted($"/api/jobs/{id}", new { id })
                : Results.Problem(result.Error, statusCode: StatusCodes.Status422UnprocessableEntity);
        }).DisableAntiforgery();

        api.MapGet("/jobs/{id:guid}", async (Guid id, HttpContext http, JobStatusReader status, GalleryStore store, NodeIdentity node, CancellationToken ct) =>
        {
            Guid owner = SessionMiddleware.OwnerOf(http);
            var row = await store.GetJobAsync(owner, id, ct);
            return row is null ? Results.NotFound() : Results.Ok(JobView.Of(status.Compose(row), row, node.Name));
        });

        // Server-sent events: the job's state now, then every update this node sees, until it ends.
        api.MapGet("/jobs/{id:guid}/events", async (Guid id, HttpContext http, JobStatusReader status, JobProgressHub hub, GalleryStore store,
            NodeIdentity node, CancellationToken ct) =>
        {
            Guid owner = SessionMiddleware.OwnerOf(http);
            var row = await store.GetJobAsync(owner, id, ct);
            if (row is null) return Results.NotFound();
            return TypedResults.ServerSentEvents(Follow(status.Compose(row), row, hub, node.Name, ct), "progress");
        });

        api.MapPost("/jobs/{id:guid}/cancel", async (Guid id, HttpContext http, JobQueue queue) =>
            await queue.CancelAsync(SessionMiddleware.OwnerOf(http), id) ? Results.Accepted() : Results.NotFound()).DisableAntiforgery();

        api.MapGet("/gallery", async (HttpContext http, GalleryStore store, CancellationToken ct) =>
            Results.Ok(await store.ListInversionsAsync(SessionMiddleware.OwnerOf(http), InversionSort.Oldest, ct)));
        return app;
    }

    private static IResult Problem(string message) => Results.Problem(message, statusCode: StatusCodes.Status400BadRequest);

    private static async IAsyncEnumerable<JobView> Follow(JobProgress first, JobInfo row, JobProgressHub hub, string node,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var updates = Channel.CreateBounded<JobProgress>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropOldest });
        using var subscription = hub.Subscribe(row.Id, p => { if (p.OwnerId == row.OwnerId) updates.Writer.TryWrite(p); });
        var current = hub.Get(row.Id) is { } live && live.OwnerId == row.OwnerId && (live.IsFinished || !first.IsFinished) ? live : first;
        yield return JobView.Of(current, row, node);
        while (!current.IsFinished)
        {
            // A final state this node missed is published by its queue monitor from the row; the wait is bounded anyway.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(15));
            try
            {
                current = await updates.Reader.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                continue; // nothing new for a while: keep waiting (the client's own timeout ends it)
            }
            yield return JobView.Of(current, row, node);
        }
    }
}

/// <summary>A job as the API shows it; <see cref="Node"/> names the web node that answered.</summary>
public sealed record JobView(Guid Id, string Kind, string Phase, string Status, int Nfe, int ExpectedNfe, int Step, int StepCount,
    int? QueuePosition, string? Error, Guid? InversionId, Guid? EditId, int Attempts, bool HasPreview, string Node)
{
    public static JobView Of(JobProgress p, JobInfo row, string node) => new(
        p.JobId, p.Kind.ToString(), p.Phase.ToString(),
        p.Phase switch { JobPhase.Done => "Done", JobPhase.Failed => "Failed", JobPhase.Cancelled => "Cancelled", JobPhase.Queued => "Queued", _ => "Running" },
        p.Nfe, p.ExpectedNfe, p.Step, p.StepCount, p.QueuePosition, p.Error, p.InversionId ?? row.InversionId, p.EditId ?? row.EditId,
        row.Attempts, p.PreviewPng is not null, node);
}

/// <summary>This web node's name (<c>ReNoise:NodeName</c>; default host name and process id), shown by the API and logs.</summary>
public sealed record NodeIdentity(string Name);
