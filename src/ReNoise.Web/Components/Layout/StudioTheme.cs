using MudBlazor;

namespace ReNoise.Web.Components.Layout;

/// <summary>
/// The studio's MudBlazor theme: a deep indigo primary with a warm accent, in light and dark. Every
/// colour a filled chip or button uses carries text at 4.5:1 or more (WCAG AA): dark colours with white
/// text in the light palette, light colours with near-black text in the dark one.
/// </summary>
public static class StudioTheme
{
    private const string White = "#ffffff";
    private const string Ink = "#0f1020";

    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4338ca",
            PrimaryContrastText = White,
            Secondary = "#be185d",
            SecondaryContrastText = White,
            Tertiary = "#0f766e",
            TertiaryContrastText = White,
            Success = "#2e7d32",
            SuccessContrastText = White,
            Error = "#c62828",
            ErrorContrastText = White,
            Warning = "#b45309",
            WarningContrastText = White,
            Info = "#0369a1",
            InfoContrastText = White,
            AppbarBackground = "#1e1b4b",
            AppbarText = "#eef2ff",
            Background = "#f6f7fb",
            Surface = "#ffffff",
            DrawerBackground = "#ffffff",
            TextSecondary = "rgba(0,0,0,0.64)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#818cf8",
            PrimaryContrastText = Ink,
            Secondary = "#f472b6",
            SecondaryContrastText = Ink,
            Tertiary = "#2dd4bf",
            TertiaryContrastText = Ink,
            Success = "#81c784",
            SuccessContrastText = Ink,
            Error = "#ef9a9a",
            ErrorContrastText = Ink,
            Warning = "#ffb74d",
            WarningContrastText = Ink,
            Info = "#64b5f6",
            InfoContrastText = Ink,
            AppbarBackground = "#111029",
            AppbarText = "#e0e7ff",
            Background = "#0f1020",
            Surface = "#1a1b2e",
            DrawerBackground = "#1a1b2e",
            TextSecondary = "rgba(255,255,255,0.72)",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography
            {
                FontFamily = ["Inter", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
            },
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "10px" },
    };
}
