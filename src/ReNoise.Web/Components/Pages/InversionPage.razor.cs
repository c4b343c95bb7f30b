using Microsoft.AspNetCore.Components;
using MudBlazor;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Web.Hosting;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Components.Pages;

public partial class InversionPage : IDisposable
{
    [Inject]
    private GalleryStore Gallery { get; set; } = default!;

    [Inject]
    private JobQueue Queue { get; set; } = default!;

    [Inject]
    private JobStatusReader Status { get; set; } = default!;

    [Inject]
    private JobProgressHub Hub { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Parameter]
    public Guid Id { get; set; }

    [CascadingParameter]
    public StudioSession Session { get; set; } = StudioSession.None;

    private InversionDetails? _details;
    private IReadOnlyList<EditSummary> _edits = [];
    private IReadOnlyList<ShareLinkInfo> _links = [];
    private Dictionary<Guid, string> _editPrompts = [];
    private readonly Dictionary<Guid, JobProgress> _editJobs = [];
    private readonly Dictionary<Guid, IDisposable> _subscriptions = [];
    private string? _editPrompt;
    private double _editGuidance = 1.0;
    private string? _editError;
    private string? _newLink;
    private bool _submitting;
    private bool _interactive;

    protected override async Task OnParametersSetAsync()
    {
        // The row only: its images and tensors are separate blobs the page links to.
        _details = Session.Exists && await Gallery.GetInversionAsync(Session.OwnerId, Id) is { } row ? InversionRecords.ToDetails(row) : null;
        if (_details is null)
        {
            Navigation.NotFound();
            return;
        }
        await LoadHistoryAsync();
        foreach (var job in await Gallery.ListActiveJobsAsync(Session.OwnerId))
            if (job.Kind == JobKind.Edit && job.InversionId == Id) _editJobs[job.Id] = Status.Compose(job);
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender || _details is null) return;
        _interactive = true;
        foreach (var id in _editJobs.Keys.ToList()) Watch(id);
    }

    private async Task LoadHistoryAsync()
    {
        _edits = await Gallery.ListEditsAsync(Session.OwnerId, Id);
        _editPrompts = _edits.ToDictionary(e => e.Id, e => e.Prompt);
        _links = await Gallery.ListShareLinksAsync(Session.OwnerId, Id);
    }

    private void Watch(Guid jobId)
    {
        if (!_interactive || _subscriptions.ContainsKey(jobId)) return;
        _subscriptions[jobId] = Hub.Subscribe(jobId, p => _ = Circuits.Safely(() => InvokeAsync(() => OnJobProgressAsync(p))));
        if (Hub.Get(jobId) is { } latest) _ = Circuits.Safely(() => InvokeAsync(() => OnJobProgressAsync(latest)));
    }

    private async Task OnJobProgressAsync(JobProgress progress)
    {
        if (progress.OwnerId != Session.OwnerId || !_editJobs.ContainsKey(progress.JobId)) return;
        _editJobs[progress.JobId] = progress;
        if (progress.IsFinished) Hub.Forget(progress.JobId);
        if (progress.Phase == JobPhase.Done)
        {
            _editJobs.Remove(progress.JobId);
            if (_subscriptions.Remove(progress.JobId, out var subscription)) subscription.Dispose();
            await LoadHistoryAsync();
            Snackbar.Add("The edit is ready", Severity.Success);
        }
        StateHasChanged();
    }

    private async Task SubmitEditAsync() => await QueueEditAsync(_editPrompt ?? "", _editGuidance);

    private async Task RerunAsync(EditSummary edit) => await QueueEditAsync(edit.Prompt, edit.Guidance);

    private async Task QueueEditAsync(string prompt, double guidance)
    {
        _editError = null;
        _submitting = true;
        try
        {
            var result = await Queue.SubmitEditAsync(Session.OwnerId, Id, prompt, guidance);
            if (result.JobId is not Guid jobId)
            {
                _editError = result.Error;
                return;
            }
            _editJobs[jobId] = await Status.GetAsync(Session.OwnerId, jobId) ?? new JobProgress
            {
                JobId = jobId, OwnerId = Session.OwnerId, Kind = JobKind.Edit, Phase = JobPhase.Queued,
            };
            Watch(jobId);
        }
        finally
        {
            _submitting = false;
        }
    }

    private async Task CancelEditAsync(Guid jobId) => await Queue.CancelAsync(Session.OwnerId, jobId);

    private void DismissJob(Guid jobId)
    {
        _editJobs.Remove(jobId);
        if (_subscriptions.Remove(jobId, out var subscription)) subscription.Dispose();
    }

    private async Task ShareAsync(Guid? editId)
    {
        var token = await Gallery.CreateShareLinkAsync(Session.OwnerId, Id, editId);
        if (token is null)
        {
            Snackbar.Add("That item no longer exists", Severity.Error);
            return;
        }
        _newLink = Navigation.ToAbsoluteUri($"/s/{token}").ToString();
        _links = await Gallery.ListShareLinksAsync(Session.OwnerId, Id);
    }

    private async Task RevokeAsync(ShareLinkInfo link)
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync("Revoke this link?",
            "Anyone opening it will get a “not found” page. This cannot be undone (you can create a new link).",
            yesText: "Revoke", cancelText: "Keep");
        if (confirmed != true) return;
        await Gallery.RevokeShareLinkAsync(Session.OwnerId, link.Token);
        if (_newLink?.EndsWith("/s/" + link.Token, StringComparison.Ordinal) == true) _newLink = null;
        _links = await Gallery.ListShareLinksAsync(Session.OwnerId, Id);
        Snackbar.Add("Link revoked", Severity.Info);
    }

    private async Task DeleteEditAsync(EditSummary edit)
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync("Delete this edit?",
            $"The edit “{edit.Prompt}” and its share links will be deleted.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        await Gallery.DeleteEditAsync(Session.OwnerId, edit.Id);
        await LoadHistoryAsync();
    }

    private async Task DeleteInversionAsync()
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync("Delete this inversion?",
            "The inversion, all its edits and share links will be deleted.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        await Gallery.DeleteInversionAsync(Session.OwnerId, Id);
        Navigation.NavigateTo("/gallery");
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions.Values) subscription.Dispose();
        _subscriptions.Clear();
    }
}
