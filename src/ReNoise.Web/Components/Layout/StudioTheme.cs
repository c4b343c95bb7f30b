using MudBlazor;

namespace ReNoise.Web.Components.Layout;

/// <summary>The studio's MudBlazor theme: a deep indigo primary with a warm accent, in light and dark.</summary>
public static class StudioTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4338ca",
            Secondary = "#db2777",
            Tertiary = "#0d9488",
            AppbarBackground = "#1e1b4b",
            AppbarText = "#eef2ff",
            Background = "#f6f7fb",
            Surface = "#ffffff",
            DrawerBackground = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#818cf8",
            Secondary = "#f472b6",
            Tertiary = "#2dd4bf",
            AppbarBackground = "#111029",
            AppbarText = "#e0e7ff",
            Background = "#0f1020",
            Surface = "#1a1b2e",
            DrawerBackground = "#1a1b2e",
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
