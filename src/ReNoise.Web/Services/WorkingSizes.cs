using System.Globalization;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;

namespace ReNoise.Web.Services;

/// <summary>One working size the form offers: a key for the picker, what it reads, and the size.</summary>
public sealed record WorkingSizeOption(string Key, string Label, int Width, int Height);

/// <summary>
/// The working sizes the studio offers for a model: its native square, common aspect ratios at about
/// the same number of pixels (the model was trained near it), the photo's own aspect, or any size
/// within the engine's bounds (multiples of 8, from 8 to 2048 pixels a side).
/// </summary>
public static class WorkingSizes
{
    public const string Native = "native";
    public const string Photo = "photo";
    public const string Custom = "custom";

    private static readonly (string Key, int W, int H)[] Aspects = [("4:3", 4, 3), ("3:4", 3, 4), ("3:2", 3, 2), ("2:3", 2, 3), ("16:9", 16, 9), ("9:16", 9, 16)];

    public static (double Min, double Max) Range => InversionParameters.RangeOf(ParameterKey.Width);

    /// <summary>The sizes to pick from for a model of native side <paramref name="native"/> and, when known, the photo's size.</summary>
    public static IReadOnlyList<WorkingSizeOption> For(int native, (int Width, int Height)? photo)
    {
        var options = new List<WorkingSizeOption> { new(Native, $"{native}×{native} (the model's native size)", native, native) };
        foreach (var (key, w, h) in Aspects)
        {
            var (width, height) = AtAboutPixels(native, (double)w / h);
            options.Add(new(key, $"{width}×{height} ({key})", width, height));
        }
        if (photo is { } p && p.Width > 0 && p.Height > 0 && p.Width != p.Height)
        {
            var (width, height) = AtAboutPixels(native, Math.Clamp((double)p.Width / p.Height, 0.25, 4));
            options.Add(new(Photo, $"{width}×{height} (the photo's shape)", width, height));
        }
        return options;
    }

    /// <summary>The option key of a size, or <see cref="Custom"/>.</summary>
    public static string KeyOf(IReadOnlyList<WorkingSizeOption> options, int width, int height) =>
        options.FirstOrDefault(o => o.Width == width && o.Height == height)?.Key ?? Custom;

    /// <summary>A size of aspect <paramref name="aspect"/> with about native² pixels, each side a multiple of 8 within the bounds.</summary>
    public static (int Width, int Height) AtAboutPixels(int native, double aspect)
    {
        double pixels = (double)native * native;
        int width = Side(Math.Sqrt(pixels * aspect));
        int height = Side(width / aspect);
        return (width, height);
    }

    private static int Side(double value)
    {
        var (min, max) = Range;
        int multiple = InversionParameters.SideMultiple;
        return (int)Math.Clamp(Math.Round(value / multiple) * multiple, min, max);
    }
}

/// <summary>
/// What fitting a photo to the working size does to it, in words, when it is worth a warning: most of
/// the photo cut away, most of the picture padding, or a tiny photo blown up.
/// </summary>
public static class PhotoFitAdvice
{
    /// <summary>Below this share of the photo kept (centre crop) or of the picture filled (padding), say so.</summary>
    public const double KeptWarning = 0.5;

    /// <summary>Enlarging a photo more than this many times makes a blurry working image.</summary>
    public const double EnlargeWarning = 4;

    public static IReadOnlyList<string> For(int photoWidth, int photoHeight, int width, int height, ImageFit imageFit)
    {
        var warnings = new List<string>();
        if (photoWidth <= 0 || photoHeight <= 0 || width <= 0 || height <= 0) return warnings;
        var fit = imageFit.Mode;
        if (fit == ImageFitMode.Region)
        {
            // The region the user chose is what gets fitted; it has the working size's shape.
            photoWidth = Math.Max(1, (int)Math.Round(photoWidth * imageFit.Width));
            photoHeight = Math.Max(1, (int)Math.Round(photoHeight * imageFit.Height));
        }
        double photoAspect = (double)photoWidth / photoHeight, aspect = (double)width / height;
        double share = Math.Min(photoAspect / aspect, aspect / photoAspect);
        double ratio = Math.Max(photoAspect, 1 / photoAspect);
        string shape = ratio >= 2 ? string.Create(CultureInfo.InvariantCulture, $" ({ratio:0.#}:1)") : "";
        string size = $"{photoWidth}×{photoHeight}";
        string what = fit == ImageFitMode.Region ? "The chosen region is" : "This photo is";
        if (fit == ImageFitMode.CentreCrop && share < KeptWarning)
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"This {size} photo{shape} does not have the working size's shape ({width}×{height}): a centre crop keeps only {Percent(share)} of it. Fit with padding keeps all of it, or choose the crop region."));
        if (fit == ImageFitMode.Pad && share < KeptWarning)
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"This {size} photo{shape} fills only {Percent(share)} of the {width}×{height} working image; the rest is white padding. A working size of the photo's shape uses it better."));
        // Cover scales until both sides are filled; padding until one is.
        double enlarge = fit == ImageFitMode.Pad
            ? Math.Min((double)width / photoWidth, (double)height / photoHeight)
            : Math.Max((double)width / photoWidth, (double)height / photoHeight);
        if (enlarge > EnlargeWarning)
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{what} only {size} pixels: it is enlarged {enlarge:0.#} times to the working size, so the model sees a blurry picture."));
        return warnings;
    }

    private static string Percent(double share) => share < 0.01
        ? string.Create(CultureInfo.InvariantCulture, $"{share * 100:0.0#}%")
        : string.Create(CultureInfo.InvariantCulture, $"{share * 100:0}%");
}
