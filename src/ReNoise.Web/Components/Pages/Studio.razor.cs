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

/// <summary>A finished job in the studio's list, with where "Open" goes (null: what it made was deleted).</summary>
public sealed record RecentJob(JobInfo Job, string? Href);

[CreatesStudioSession]
public partial class Studio : IDisposable
{
    [Inject]
    private JobQueue Queue { get; set; } = default!;

    [Inject]
    private GalleryStore Gallery { get; set; } = default!;

    [Inject]
    private GalleryEvents Events { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [CascadingParameter]
    public StudioSession Session { get; set; } = StudioSession.None;

    /// <summary>An inversion of the gallery to invert again with new settings (the result page's "Re-invert").</summary>
    [SupplyParameterFromQuery(Name = "from")]
    public Guid? From { get; set; }

    private string? _error;
    private bool _busy;
    private IReadOnlyList<JobInfo> _active = [];
    private IReadOnlyList<RecentJob> _recent = [];
    private StudioDraft? _draft;
    private Guid? _draftKey;
    private bool _draftMissing;
    private IDisposable? _changes;

    protected override async Task OnInitializedAsync()
    {
        if (!Session.Exists) return;
        await LoadJobsAsync();
    }

    protected override async Task OnParametersSetAsync()
    {
        if (From == _draftKey) return;
        _draftKey = From;
        _draft = From is Guid id && Session.Exists ? await LoadDraftAsync(id) : null;
        _draftMissing = From is not null && _draft is null;
    }

    protected override void OnAfterRender(bool firstRender)
    {
        // Only the interactive render listens (the prerendered copy is thrown away): a delete in another
        // tab takes the "Open" away from the jobs that made what was deleted.
        if (firstRender && RendererInfo.IsInteractive && Session.Exists)
            _changes = Events.Subscribe(Session.OwnerId, () => _ = Circuits.Safely(() => InvokeAsync(async () =>
            {
                await LoadJobsAsync();
                StateHasChanged();
            })));
    }

    private async Task LoadJobsAsync()
    {
        _active = await Gallery.ListActiveJobsAsync(Session.OwnerId);
        var finished = (await Gallery.ListRecentJobsAsync(Session.OwnerId, 6)).Where(j => !j.IsActive).ToList();
        var rows = new List<RecentJob>(finished.Count);
        foreach (var job in finished) rows.Add(new RecentJob(job, await HrefAsync(job)));
        _recent = rows;
    }

    /// <summary>Where a finished job's "Open" goes: its inversion while it exists, else the job's own page (a failure or a cancellation).</summary>
    private async Task<string?> HrefAsync(JobInfo job)
    {
        if (job.InversionId is Guid inversion)
        {
            bool exists = await Gallery.GetInversionAsync(Session.OwnerId, inversion) is not null;
            return exists ? $"/inversions/{inversion}" : null;
        }
        return $"/jobs/{job.Id}";
    }

    /// <summary>The stored photo (working size), prompt, model and parameters of one of the session's inversions.</summary>
    private async Task<StudioDraft?> LoadDraftAsync(Guid id)
    {
        var row = await Gallery.GetInversionAsync(Session.OwnerId, id);
        var input = row is null ? null : await Gallery.GetInversionImageAsync(Session.OwnerId, id, InversionImage.Input);
        if (row is null || input is null) return null;
        var details = InversionRecords.ToDetails(row);
        string file = row.SourceFileName is { Length: > 0 } name ? name : "input.png";
        return new StudioDraft(input, file, row.Width, row.Height, row.Prompt, row.ModelName, details.Parameters);
    }

    private async Task SubmitAsync(InversionSubmission submission)
    {
        _error = null;
        if (!Session.Exists)
        {
            _error = "This browser has no studio session: allow cookies for this site and reload the page.";
            return;
        }
        _busy = true;
        try
        {
            var result = await Queue.SubmitInversionAsync(Session.OwnerId, submission);
            // On to the job's page; the studio then shows the session's jobs again (the quota counts them).
            if (result.JobId is Guid id) Navigation.NavigateTo($"/jobs/{id}");
            else _error = result.Error;
        }
        finally
        {
            _busy = false;
        }
    }

    private static string Describe(JobInfo job)
    {
        try
        {
            return job.Kind == JobKind.Invert
                ? $"Inversion of “{JobJson.Read<InvertJobRequest>(job.RequestJson).Prompt}”"
                : $"Edit to “{JobJson.Read<EditJobRequest>(job.RequestJson).Prompt}”";
        }
        catch (System.Text.Json.JsonException)
        {
            return job.Kind.ToString();
        }
    }

    private static Color StatusColor(JobStatus status) => status switch
    {
        JobStatus.Done => Color.Success,
        JobStatus.Failed => Color.Error,
        JobStatus.Cancelled => Color.Warning,
        _ => Color.Info,
    };

    public void Dispose() => _changes?.Dispose();
}
