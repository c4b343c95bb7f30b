using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace ReNoise.Engine.Imaging;

/// <summary>Exact-size image file I/O (results, test data, metrics): no resampling.</summary>
internal static class ImageFiles
{
    private static readonly PngEncoder RgbPng = new()
    {
        ColorType = PngColorType.Rgb,
        BitDepth = PngBitDepth.Bit8,
    };

    /// <summary>Writes <paramref name="image"/> as an 8-bit RGB PNG.</summary>
    public static void SavePng(RgbImage image, string path)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(path);
        using var img = Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);
        try
        {
            using var stream = File.Create(path);
            img.Save(stream, RgbPng);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReNoiseInputException($"cannot write '{path}' ({e.Message})", e);
        }
    }

    /// <summary>
    /// Reads an image at its own size, with the loader's checks, EXIF orientation and alpha
    /// handling but no resize, so pixel values are exactly those stored.
    /// </summary>
    public static RgbImage LoadRgb(string path) =>
        ImageLoader.Decode(ImageLoader.ReadFile(path), path, target: null);
}
