using System.Globalization;
using Microsoft.AspNetCore.Components;
using ReNoise.Engine.Imaging;
using ReNoise.Web.Services;

namespace ReNoise.Web.Components.Shared;

/// <summary>A region of the working size's shape on the photo: its size (zoom 1 is the largest that fits) and where it sits (0..1 each way).</summary>
public sealed record CropChoice(double Zoom, double X, double Y)
{
    public static CropChoice Centre { get; } = new(1, 0.5, 0.5);

    /// <summary>The region as fractions of the photo: width and height at zoom 1, then smaller.</summary>
    public static (double Width, double Height) Extent(int photoWidth, int photoHeight, int width, int height, double zoom)
    {
        double photoAspect = (double)photoWidth / photoHeight, aspect = (double)width / height;
        var (w, h) = photoAspect > aspect ? (aspect / photoAspect, 1.0) : (1.0, photoAspect / aspect);
        zoom = Math.Max(1, zoom);
        return (w / zoom, h / zoom);
    }

    public ImageFit ToFit(int photoWidth, int photoHeight, int width, int height)
    {
        var (w, h) = Extent(photoWidth, photoHeight, width, height, Zoom);
        return ImageFit.Region((1 - w) * Math.Clamp(X, 0, 1), (1 - h) * Math.Clamp(Y, 0, 1), w, h);
    }

    /// <summary>The choice whose region is centred on (x, y), fractions of the photo, as near as it can be.</summary>
    public CropChoice CentredOn(double x, double y, int photoWidth, int photoHeight, int width, int height)
    {
        var (w, h) = Extent(photoWidth, photoHeight, width, height, Zoom);
        double Place(double centre, double extent) => extent >= 1 ? 0.5 : Math.Clamp((centre - extent / 2) / (1 - extent), 0, 1);
        return this with { X = Place(x, w), Y = Place(y, h) };
    }
}

public partial class PhotoFit
{
    /// <summary>Regions smaller than a quarter of the largest are not offered (they blow up a few pixels).</summary>
    private const double MaxZoom = 4;

    [Parameter, EditorRequired]
    public ImageFit Fit { get; set; } = ImageFit.CentreCrop;

    [Parameter]
    public EventCallback<ImageFit> FitChanged { get; set; }

    /// <summary>The photo's displayed size.</summary>
    [Parameter, EditorRequired]
    public int PhotoWidth { get; set; }

    [Parameter, EditorRequired]
    public int PhotoHeight { get; set; }

    /// <summary>The working size.</summary>
    [Parameter, EditorRequired]
    public int Width { get; set; }

    [Parameter, EditorRequired]
    public int Height { get; set; }

    /// <summary>The whole photo, small, to choose a region on (null while it loads).</summary>
    [Parameter]
    public string? SourcePreview { get; set; }

    [Parameter]
    public bool Disabled { get; set; }

    private CropChoice _choice = CropChoice.Centre;
    private (int, int, int, int) _shape;

    private IReadOnlyList<string> Warnings => PhotoFitAdvice.For(PhotoWidth, PhotoHeight, Width, Height, Fit);

    private (double W, double H) Extent => CropChoice.Extent(PhotoWidth, PhotoHeight, Width, Height, _choice.Zoom);

    private bool CanMoveX => Extent.W < 0.999;

    private bool CanMoveY => Extent.H < 0.999;

    private string RegionStyle
    {
        get
        {
            var fit = _choice.ToFit(PhotoWidth, PhotoHeight, Width, Height);
            return string.Create(CultureInfo.InvariantCulture,
                $"left: {fit.Left * 100:0.###}%; top: {fit.Top * 100:0.###}%; width: {fit.Width * 100:0.###}%; height: {fit.Height * 100:0.###}%");
        }
    }

    protected override void OnParametersSet()
    {
        // Another photo or working size: the region starts again from the centre.
        var shape = (PhotoWidth, PhotoHeight, Width, Height);
        if (shape != _shape)
        {
            _shape = shape;
            _choice = CropChoice.Centre;
        }
    }

    private Task OnModeChangedAsync(ImageFitMode mode) => FitChanged.InvokeAsync(mode switch
    {
        ImageFitMode.Pad => ImageFit.Pad,
        ImageFitMode.Region => _choice.ToFit(PhotoWidth, PhotoHeight, Width, Height),
        _ => ImageFit.CentreCrop,
    });

    private Task OnPickAsync(CropPickEventArgs e) =>
        SetAsync(_choice.CentredOn(e.X, e.Y, PhotoWidth, PhotoHeight, Width, Height));

    private async Task SetAsync(CropChoice choice)
    {
        _choice = choice with { Zoom = Math.Clamp(choice.Zoom, 1, MaxZoom) };
        await FitChanged.InvokeAsync(_choice.ToFit(PhotoWidth, PhotoHeight, Width, Height));
    }
}
