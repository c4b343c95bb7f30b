using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using ReNoise.Web.Services;

namespace ReNoise.Web.Components.Layout;

public partial class MainLayout : IDisposable
{
    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [CascadingParameter]
    public StudioPreferences Preferences { get; set; } = StudioPreferences.Default;

    private bool _darkMode;
    private ErrorBoundary? _errors;

    protected override void OnInitialized()
    {
        _darkMode = Preferences.DarkMode;
        Navigation.LocationChanged += OnLocationChanged;
    }

    /// <summary>Switches the theme and keeps the choice for the next full page load (a cookie the page's script writes).</summary>
    private async Task SetDarkModeAsync(bool dark)
    {
        _darkMode = dark;
        try
        {
            await JS.InvokeVoidAsync("reNoiseStudio.setTheme", dark);
        }
        catch (JSDisconnectedException)
        {
            // The browser went away: nothing to remember it in.
        }
    }

    // A full reload: a new circuit and fresh data, as the browser's own reload would.
    private void Reload() => Navigation.Refresh(forceReload: true);

    public void Dispose() => Navigation.LocationChanged -= OnLocationChanged;

    private void OnLocationChanged(object? sender, LocationChangedEventArgs e)
    {
        _errors?.Recover(); // another page gets its chance
        InvokeAsync(StateHasChanged);
    }

    private string NavClass(string path)
    {
        string current = "/" + Navigation.ToBaseRelativePath(Navigation.Uri).Split('?', '#')[0];
        bool active = path == "/" ? current is "/" or "/studio" || current.StartsWith("/jobs", StringComparison.Ordinal)
                                  : current.StartsWith(path, StringComparison.Ordinal) || current.StartsWith("/inversions", StringComparison.Ordinal);
        return active ? "nav-active" : "";
    }
}
