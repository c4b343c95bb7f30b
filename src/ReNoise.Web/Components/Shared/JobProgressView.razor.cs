using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using ReNoise.Web.Hosting;
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

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    private JobProgress? _seen;
    private DateTimeOffset _seenAt;
    private TimeSpan _shown;
    private ITimer? _ticker;

    /// <summary>Between two reports the job is still running: the clock goes on from the last report.</summary>
    private bool Running => !Progress.IsFinished && Progress.Phase != JobPhase.Queued;

    /// <summary>The elapsed time now: the last report's, plus the time since it arrived while the job runs; never going back.</summary>
    private TimeSpan Elapsed
    {
        get
        {
            if (!Running) return Progress.Elapsed;
            var now = Progress.Elapsed + (Time.GetUtcNow() - _seenAt);
            if (now > _shown) _shown = now;
            return _shown;
        }
    }

    protected override void OnParametersSet()
    {
        if (!ReferenceEquals(Progress, _seen))
        {
            if (_seen?.JobId != Progress.JobId) _shown = TimeSpan.Zero;
            _seen = Progress;
            _seenAt = Time.GetUtcNow();
        }
        if (Running && RendererInfo.IsInteractive)
            _ticker ??= Time.CreateTimer(_ => _ = Circuits.Safely(() => InvokeAsync(StateHasChanged)), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        else
            StopTicking();
    }

    private void StopTicking()
    {
        _ticker?.Dispose();
        _ticker = null;
    }

    public void Dispose() => StopTicking();

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

    /// <summary>
    /// The wait estimate of a queued job, from the model's measured time per call (or, before a job of
    /// the model has finished, the running jobs' pace so far).
    /// </summary>
    private string WaitText => Progress.EstimatedWait is { } wait
        ? wait < TimeSpan.FromSeconds(1) ? "starts in a moment" : $"starts in about {Duration(wait)}"
        : "estimating the wait: the job ahead is still loading the model";

    private static string Ratio(int value, int total) => total > 0 ? $"{value} / {total}" : "–";

    public static string Duration(TimeSpan t) => t.TotalMinutes >= 1
        ? $"{(int)t.TotalMinutes} min {t.Seconds:00} s"
        : t.TotalSeconds >= 10 ? $"{t.TotalSeconds:0} s" : $"{t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";
}
