using Microsoft.JSInterop;

namespace ReNoise.Web.Hosting;

/// <summary>
/// Runs a background notification (a job's progress) on a component's circuit. The job does not know
/// whether the page is still there: a circuit that closed, or a browser that went away, must not turn
/// the update into an unhandled exception.
/// </summary>
public static class Circuits
{
    /// <summary>Awaits <paramref name="invoke"/> (a component's <c>InvokeAsync</c>), swallowing what a gone page or circuit throws.</summary>
    public static async Task Safely(Func<Task> invoke)
    {
        try
        {
            await invoke();
        }
        catch (Exception e) when (e is ObjectDisposedException or JSDisconnectedException or TaskCanceledException)
        {
            // The page or its circuit is gone: nobody is left to show the update to.
        }
    }
}
