using Microsoft.AspNetCore.Components;
using MudBlazor;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Web.Components.Shared;
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
    private IModelCatalog Catalog { get; set; } = default!;

    [Inject]
    private GalleryEvents Events { get; set; } = default!;

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
    private readonly Dictionary<Guid, string> _jobPrompts = [];
    private readonly Dictionary<Guid, IDisposable> _subscriptions = [];
    private readonly List<(string Prompt, double Guidance)> _pending = [];
    private Guid? _selectedEdit;
    private string? _editError;
    private string? _newLink;
    private string _newLinkShows = "";
    private bool _submitting;
    private bool _interactive;

    /// <summary>Made with the bundled demo model (whose UNet ignores what a prompt means).</summary>
    private bool IsDemo => _details is not null && Catalog.Find(_details.ModelName)?.IsDemo == true;

    /// <summary>The edit shown large: the one chosen, else the newest.</summary>
    private EditSummary? Selected => _edits.FirstOrDefault(e => e.Id == _selectedEdit)
                                     ?? _edits.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).FirstOrDefault();

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
            if (job.Kind == JobKind.Edit && job.InversionId == Id)
            {
                _editJobs[job.Id] = Status.Compose(job);
                _jobPrompts[job.Id] = PromptOf(job);
            }
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
            _jobPrompts.Remove(progress.JobId);
            if (_subscriptions.Remove(progress.JobId, out var subscription)) subscription.Dispose();
            await LoadHistoryAsync();
            _selectedEdit = progress.EditId; // the new edit, large
            Snackbar.Add("The edit is ready", Severity.Success);
        }
        // A slot is free now: the next waiting prompt goes.
        if (progress.IsFinished) await SubmitPendingAsync();
        StateHasChanged();
    }

    private async Task SubmitEditsAsync(EditRequest request)
    {
        _editError = null;
        _pending.AddRange(request.Prompts.Select(p => (p, request.Guidance)));
        _submitting = true;
        try
        {
            await SubmitPendingAsync();
        }
        finally
        {
            _submitting = false;
        }
    }

    private Task RerunAsync(EditSummary edit) => SubmitEditsAsync(new EditRequest([edit.Prompt], edit.Guidance));

    /// <summary>
    /// Queues waiting prompts while the session's quota takes them; the rest wait here for one of this
    /// page's jobs to finish. A refusal other than the quota stops the queue and says why. The quota is
    /// the queue's answer, not a count read here first: in distributed mode only the database knows it.
    /// </summary>
    private async Task SubmitPendingAsync()
    {
        int retries = 0;
        while (_pending.Count > 0)
        {
            var (prompt, guidance) = _pending[0];
            var result = await Queue.SubmitEditAsync(Session.OwnerId, Id, prompt, guidance);
            if (result.JobId is not Guid jobId)
            {
                if (result.QuotaReached)
                {
                    // A job this page follows will end and free a slot: the rest go then.
                    if (_editJobs.Values.Any(p => !p.IsFinished)) return;
                    // One of them has just reported its end; its slot is freed a moment after that.
                    if (retries++ < QuotaRetries)
                    {
                        await Task.Delay(QuotaRetryDelay);
                        continue;
                    }
                    // Every slot is taken by jobs this page does not follow: nothing here would start the rest.
                    _editError = $"This browser already has {Queue.MaxJobsPerSession} jobs queued or running; wait for one to finish, then run the edit again.";
                }
                else
                {
                    _editError = result.Error;
                }
                _pending.Clear();
                return;
            }
            retries = 0;
            _pending.RemoveAt(0);
            _jobPrompts[jobId] = prompt;
            _editJobs[jobId] = await Status.GetAsync(Session.OwnerId, jobId) ?? new JobProgress
            {
                JobId = jobId, OwnerId = Session.OwnerId, Kind = JobKind.Edit, Phase = JobPhase.Queued,
            };
            Watch(jobId);
        }
    }

    private const int QuotaRetries = 8;
    private static readonly TimeSpan QuotaRetryDelay = TimeSpan.FromMilliseconds(250);

    private async Task CancelEditAsync(Guid jobId) => await Queue.CancelAsync(Session.OwnerId, jobId);

    private void DismissJob(Guid jobId)
    {
        _editJobs.Remove(jobId);
        _jobPrompts.Remove(jobId);
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
        _newLinkShows = editId is Guid e && _editPrompts.TryGetValue(e, out var prompt) ? $"the edit “{prompt}”" : "the inversion";
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
        if (_selectedEdit == edit.Id) _selectedEdit = null;
        await LoadHistoryAsync();
        Events.Changed(Session.OwnerId);
    }

    private async Task DeleteInversionAsync()
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync("Delete this inversion?",
            "The inversion, all its edits and share links will be deleted.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        await Gallery.DeleteInversionAsync(Session.OwnerId, Id);
        Events.Changed(Session.OwnerId);
        Navigation.NavigateTo("/gallery");
    }

    private static string PromptOf(JobInfo job)
    {
        try
        {
            return JobJson.Read<EditJobRequest>(job.RequestJson).Prompt;
        }
        catch (System.Text.Json.JsonException)
        {
            return "";
        }
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions.Values) subscription.Dispose();
        _subscriptions.Clear();
    }
}
