using System.Globalization;

namespace ReNoise.Engine.Imaging;

/// <summary>How <see cref="ImageLoader"/> fits a photo whose shape differs from the working size.</summary>
public enum ImageFitMode
{
    /// <summary>Scale to cover the working size and cut the overflow evenly (centre crop).</summary>
    CentreCrop,

    /// <summary>Scale to fit inside the working size and fill the rest with white (the whole photo is kept).</summary>
    Pad,

    /// <summary>Cut a chosen region of the photo, then scale it to cover the working size.</summary>
    Region,
}

/// <summary>
/// How a photo is fitted to the working size: centre crop (the default), padding, or a chosen region
/// given as fractions of the photo as it is displayed (EXIF orientation applied).
/// </summary>
public sealed record ImageFit
{
    private ImageFit(ImageFitMode mode, double left, double top, double width, double height)
    {
        Mode = mode;
        Left = left;
        Top = top;
        Width = width;
        Height = height;
    }

    public static ImageFit CentreCrop { get; } = new(ImageFitMode.CentreCrop, 0, 0, 1, 1);

    public static ImageFit Pad { get; } = new(ImageFitMode.Pad, 0, 0, 1, 1);

    /// <summary>
    /// The region [left, left + width) x [top, top + height) of the photo, each a fraction of its width or
    /// height; it must lie inside the photo and not be empty. A region whose shape differs from the
    /// working size's is centre-cropped further.
    /// </summary>
    public static ImageFit Region(double left, double top, double width, double height)
    {
        const double slack = 1e-9; // fractions computed from pixels may overshoot by a rounding error
        bool inside = double.IsFinite(left) && double.IsFinite(top) && double.IsFinite(width) && double.IsFinite(height)
                      && left >= 0 && top >= 0 && width > 0 && height > 0 && left + width <= 1 + slack && top + height <= 1 + slack;
        if (!inside)
            throw new ReNoiseInputException(string.Create(CultureInfo.InvariantCulture,
                $"the crop region (left {left:0.###}, top {top:0.###}, width {width:0.###}, height {height:0.###}) must lie inside the photo, as fractions from 0 to 1"));
        return new(ImageFitMode.Region, left, top, Math.Min(width, 1 - left), Math.Min(height, 1 - top));
    }

    public ImageFitMode Mode { get; }

    /// <summary>The region's left edge, a fraction of the photo's width (0 unless <see cref="ImageFitMode.Region"/>).</summary>
    public double Left { get; }

    /// <summary>The region's top edge, a fraction of the photo's height.</summary>
    public double Top { get; }

    /// <summary>The region's width, a fraction of the photo's width (1 unless <see cref="ImageFitMode.Region"/>).</summary>
    public double Width { get; }

    /// <summary>The region's height, a fraction of the photo's height.</summary>
    public double Height { get; }
}
