using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using ReNoise.Web.Jobs;

namespace ReNoise.Web.Components.Shared;

public partial class JobProgressView
{
    [Parameter, EditorRequired]
    public JobProgress Progress { get; set; } = default!;

    [Parameter]
    public EventCallback OnCancel { get; set; }

    [Parameter]
    public bool CancelRequested { get; set; }

    /// <summary>Shows the decoded latent of inversion jobs.</summary>
    [Parameter]
    public bool ShowPreview { get; set; } = true;

    private string PhaseText => Progress.Phase switch
    {
        JobPhase.Queued => "Queued",
        JobPhase.Loading => "Loading the model",
        JobPhase.Inverting => "Inverting",
        JobPhase.Reconstructing => "Reconstructing",
        JobPhase.Denoising => "Denoising",
        JobPhase.Saving => "Saving",
        JobPhase.Done => "Done",
        JobPhase.Failed => "Failed",
        _ => "Cancelled",
    };

    private Color PhaseColor => Progress.Phase switch
    {
        JobPhase.Done => Color.Success,
        JobPhase.Failed => Color.Error,
        JobPhase.Cancelled => Color.Warning,
        JobPhase.Queued => Color.Default,
        _ => Color.Primary,
    };

    /// <summary>The wait estimate of a queued job, from the model's measured time per call.</summary>
    private string WaitText => Progress.EstimatedWait is { } wait
        ? wait < TimeSpan.FromSeconds(1) ? "starts in a moment" : $"starts in about {Duration(wait)}"
        : "no wait estimate yet (the model has not finished a job)";

    private static string Ratio(int value, int total) => total > 0 ? $"{value} / {total}" : "–";

    public static string Duration(TimeSpan t) => t.TotalMinutes >= 1
        ? $"{(int)t.TotalMinutes} min {t.Seconds:00} s"
        : t.TotalSeconds >= 10 ? $"{t.TotalSeconds:0} s" : $"{t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";
}
