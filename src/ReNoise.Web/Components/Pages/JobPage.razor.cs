using System.Globalization;
using Microsoft.AspNetCore.Components;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Web.Hosting;
using ReNoise.Web.Jobs;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Components.Pages;

public partial class JobPage : IDisposable
{
    [Inject]
    private JobStatusReader Status { get; set; } = default!;

    [Inject]
    private JobProgressHub Hub { get; set; } = default!;

    [Inject]
    private JobQueue Queue { get; set; } = default!;

    [Inject]
    private GalleryStore Gallery { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private CircuitConnection Connection { get; set; } = default!;

    [Parameter]
    public Guid JobId { get; set; }

    [CascadingParameter]
    public StudioSession Session { get; set; } = StudioSession.None;

    private JobInfo? _row;
    private JobProgress? _progress;
    private string _title = "";
    private bool _cancelRequested;
    private bool _resubmitting;
    private string? _resubmitError;
    private IDisposable? _subscription;

    protected override async Task OnParametersSetAsync()
    {
        _row = Session.Exists ? await Gallery.GetJobAsync(Session.OwnerId, JobId) : null;
        if (_row is null)
        {
            Navigation.NotFound();
            return;
        }
        _progress = Status.Compose(_row);
        _title = Title(_row);
        if (_progress.IsFinished && RendererInfo.IsInteractive) Hub.Forget(JobId); // this page has the final state now
        if (_progress.Phase == JobPhase.Done && _progress.InversionId is Guid id && _row.Kind == JobKind.Invert && RendererInfo.IsInteractive)
            Navigation.NavigateTo($"/inversions/{id}");
    }

    protected override void OnAfterRender(bool firstRender)
    {
        // Only the interactive render subscribes (the prerendered copy is thrown away).
        if (firstRender && _row is not null)
        {
            _subscription = Hub.Subscribe(JobId, p => _ = Circuits.Safely(() => InvokeAsync(() => OnProgress(p))));
            // The job may have moved on between reading it and subscribing.
            if (Hub.Get(JobId) is { } latest && latest.OwnerId == Session.OwnerId) _ = Circuits.Safely(() => InvokeAsync(() => OnProgress(latest)));
        }
    }

    private void OnProgress(JobProgress progress)
    {
        if (progress.OwnerId != Session.OwnerId || progress.JobId != JobId) return;
        _progress = progress.Phase == JobPhase.Queued && progress.QueuePosition is null ? progress with { QueuePosition = Queue.PositionOf(JobId) } : progress;
        if (progress.IsFinished) Hub.Forget(JobId);
        // Navigating while the browser is away fails in the background and ends the circuit; the page
        // shows the result link instead, which is there when the browser comes back.
        if (progress.Phase == JobPhase.Done && progress.InversionId is Guid id && progress.Kind == JobKind.Invert && Connection.IsConnected)
        {
            Navigation.NavigateTo($"/inversions/{id}");
            return;
        }
        StateHasChanged();
    }

    private async Task ResubmitAsync()
    {
        _resubmitting = true;
        _resubmitError = null;
        try
        {
            var result = await Queue.ResubmitAsync(Session.OwnerId, JobId);
            if (result.JobId is Guid id) Navigation.NavigateTo($"/jobs/{id}");
            else _resubmitError = result.Error;
        }
        finally
        {
            _resubmitting = false;
        }
    }

    private async Task CancelAsync()
    {
        _cancelRequested = true;
        if (!await Queue.CancelAsync(Session.OwnerId, JobId)) _cancelRequested = false;
    }

    private string Heading => (_row!.Kind, _progress!.IsFinished) switch
    {
        (JobKind.Invert, false) => "Inverting",
        (JobKind.Invert, true) => "Inversion job",
        (_, false) => "Editing",
        _ => "Edit job",
    };

    private static string Title(JobInfo job)
    {
        try
        {
            if (job.Kind == JobKind.Invert)
            {
                var r = JobJson.Read<InvertJobRequest>(job.RequestJson);
                return $"“{r.Prompt}” · {r.FileName} · {r.Model}";
            }
            var e = JobJson.Read<EditJobRequest>(job.RequestJson);
            return $"“{e.Prompt}” · guidance {e.Guidance.ToString(CultureInfo.InvariantCulture)}";
        }
        catch (System.Text.Json.JsonException)
        {
            return job.Kind.ToString();
        }
    }

    public void Dispose() => _subscription?.Dispose();
}
