namespace ReNoise.Web.Services;

/// <summary>
/// What the browser chose once and expects to keep on every full page load: for now light or dark. Kept
/// in a cookie the page's script writes (<c>renoise_theme</c>, not HttpOnly, no identity in it) and read on
/// the server, so the first paint already has the right colours.
/// </summary>
public sealed record StudioPreferences(bool DarkMode)
{
    public const string ThemeCookie = "renoise_theme";

    public static StudioPreferences Default { get; } = new(false);

    public static StudioPreferences From(HttpRequest request) =>
        new(request.Cookies.TryGetValue(ThemeCookie, out var theme) && theme == "dark");
}
