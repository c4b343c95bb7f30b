using Microsoft.AspNetCore.Components;
using MudBlazor;
using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Web.Jobs;
using ReNoise.Web.Services;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Components.Pages;

[CreatesStudioSession]
public partial class Studio
{
    [Inject]
    private JobQueue Queue { get; set; } = default!;

    [Inject]
    private GalleryStore Gallery { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [CascadingParameter]
    public StudioSession Session { get; set; } = StudioSession.None;

    private string? _error;
    private bool _busy;
    private IReadOnlyList<JobInfo> _active = [];
    private IReadOnlyList<JobInfo> _recent = [];

    protected override async Task OnInitializedAsync()
    {
        if (!Session.Exists) return;
        _active = await Gallery.ListActiveJobsAsync(Session.OwnerId);
        _recent = (await Gallery.ListRecentJobsAsync(Session.OwnerId, 6)).Where(j => !j.IsActive).ToList();
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

    private static string JobHref(JobInfo job) =>
        job.Kind == JobKind.Edit && job.InversionId is Guid inversion ? $"/inversions/{inversion}" : $"/jobs/{job.Id}";

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
}
