using ReNoise.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ReNoise.Jobs;

/// <summary>In-memory encodings of engine images for the database, downloads and live previews.</summary>
public static class ImageEncoding
{
    public const int ThumbnailSide = 256;

    private static readonly PngEncoder Png = new() { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };
    private static readonly JpegEncoder Jpeg = new() { Quality = 88 };

    public static byte[] ToPng(RgbImage image)
    {
        using var img = Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);
        using var stream = new MemoryStream();
        img.Save(stream, Png);
        return stream.ToArray();
    }

    /// <summary>A small JPEG for pages that update often (upload preview, per-step previews).</summary>
    public static byte[] ToJpeg(RgbImage image)
    {
        using var img = Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);
        using var stream = new MemoryStream();
        img.Save(stream, Jpeg);
        return stream.ToArray();
    }

    /// <summary>A PNG whose longer side is at most <see cref="ThumbnailSide"/>.</summary>
    public static byte[] ToThumbnailPng(RgbImage image)
    {
        using var img = Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);
        if (Math.Max(img.Width, img.Height) > ThumbnailSide)
            img.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(ThumbnailSide, ThumbnailSide), Mode = ResizeMode.Max }));
        using var stream = new MemoryStream();
        img.Save(stream, Png);
        return stream.ToArray();
    }

    public static string DataUrl(byte[] bytes, string mediaType) => $"data:{mediaType};base64,{Convert.ToBase64String(bytes)}";
}
