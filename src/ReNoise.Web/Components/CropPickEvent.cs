using Microsoft.AspNetCore.Components;

namespace ReNoise.Web.Components;

/// <summary>A click on the crop picker's photo, as fractions of the photo's box (wwwroot/js/studio.js makes them).</summary>
public sealed class CropPickEventArgs : EventArgs
{
    public double X { get; set; }
    public double Y { get; set; }
}

/// <summary>Registers <c>@oncroppick</c> for Razor components.</summary>
[EventHandler("oncroppick", typeof(CropPickEventArgs), enableStopPropagation: true, enablePreventDefault: true)]
public static class EventHandlers;
