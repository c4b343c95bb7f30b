using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ReNoise.Engine.Imaging;

/// <summary>
/// Reads a user's image (PNG, JPEG, WebP, BMP, GIF first frame) into the exact size the VAE
/// gets: EXIF orientation applied, alpha flattened over white, scaled to cover the target and
/// centre-cropped. Every failure the user can cause becomes a one-line
/// <see cref="ReNoiseInputException"/> naming the file.
/// </summary>
public static class ImageLoader
{
    /// <summary>Largest accepted side, in pixels, of a decoded image and of a requested size.</summary>
    public const int MaxSide = 8192;

    /// <summary>
    /// Largest accepted image, in pixels (40 megapixels), checked from the header before decoding: a
    /// small compressed file can claim a huge canvas, and decoding it takes 4 bytes a pixel.
    /// </summary>
    public const long MaxPixels = 40_000_000;

    // Only the five formats we promise; the stock configuration also sniffs TGA, which has no
    // magic number and would claim random garbage as an image.
    private static readonly Configuration Decoding = CreateConfiguration();

    /// <summary>Loads <paramref name="path"/> resized and centre-cropped to width x height.</summary>
    public static RgbImage Load(string path, int width, int height)
    {
        CheckTarget(width, height);
        return Decode(ReadFile(path), path, new Size(width, height));
    }

    /// <summary>Loads an image from <paramref name="stream"/>; <paramref name="displayName"/> names it in errors.</summary>
    public static RgbImage Load(Stream stream, int width, int height, string displayName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckTarget(width, height);
        return Decode(ReadStream(stream, displayName), displayName, new Size(width, height));
    }

    private static void CheckTarget(int width, int height)
    {
        if (width <= 0 || height <= 0 || width > MaxSide || height > MaxSide)
            throw new ArgumentOutOfRangeException(nameof(width), $"target size {width}x{height} must be within 1..{MaxSide} on a side");
    }

    internal static byte[] ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            throw new ReNoiseInputException($"'{path}' is a directory, not an image file");
        if (!File.Exists(path))
            throw new ReNoiseInputException($"image file '{path}' was not found");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReNoiseInputException($"cannot read image file '{path}' ({e.Message})", e);
        }
    }

    private static byte[] ReadStream(Stream stream, string displayName)
    {
        try
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        catch (IOException e)
        {
            throw new ReNoiseInputException($"cannot read image '{displayName}' ({e.Message})", e);
        }
    }

    /// <summary>
    /// Identify (header only) -> size limit -> truncation check -> decode -> orient -> resize ->
    /// flatten. <paramref name="target"/> null keeps the decoded size (exact pixels).
    /// </summary>
    internal static RgbImage Decode(byte[] bytes, string displayName, Size? target)
    {
        if (bytes.Length == 0)
            throw Unreadable(displayName, "the file is empty");

        IImageInfo? info;
        IImageFormat? format;
        try
        {
            using var probe = new MemoryStream(bytes, writable: false);
            info = Image.Identify(Decoding, probe, out format);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw Unreadable(displayName, Describe(e), e);
        }
        if (info is null || format is null)
            throw Unreadable(displayName, "unknown format; expected PNG, JPEG, WebP, BMP or GIF");
        if (info.Width > MaxSide || info.Height > MaxSide)
            throw new ReNoiseInputException($"'{displayName}': image is {info.Width}x{info.Height} pixels; the limit is {MaxSide} on a side");
        if (info.Width <= 0 || info.Height <= 0)
            throw Unreadable(displayName, $"{format.Name} header gives a size of {info.Width}x{info.Height}");
        if ((long)info.Width * info.Height > MaxPixels)
            throw new ReNoiseInputException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"'{displayName}': image is {info.Width}x{info.Height} pixels ({(long)info.Width * info.Height / 1e6:0.#} megapixels); the limit is {MaxPixels / 1_000_000} megapixels"));

        string? truncation = ImageIntegrity.FindTruncation(bytes, format);
        if (truncation is not null)
            throw Unreadable(displayName, truncation);

        Image<Rgba32> image;
        try
        {
            using var data = new MemoryStream(bytes, writable: false);
            image = Image.Load<Rgba32>(Decoding, data);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw Unreadable(displayName, Describe(e), e);
        }

        using (image)
        {
            // Animated WebP or any decoder that ignores first-frame mode: keep the first frame.
            while (image.Frames.Count > 1)
                image.Frames.RemoveFrame(image.Frames.Count - 1);

            image.Mutate(c => c.AutoOrient());
            if (target is Size size && (image.Width != size.Width || image.Height != size.Height))
            {
                image.Mutate(c => c.Resize(new ResizeOptions
                {
                    Size = size,
                    Mode = ResizeMode.Crop, // scale to cover, then cut the overflow
                    Position = AnchorPositionMode.Center,
                    Sampler = KnownResamplers.Lanczos3,
                    // Resizing premultiplied colour is linear, so flattening afterwards equals
                    // flattening first, without an extra full-size pass.
                    PremultiplyAlpha = true,
                }));
            }
            return FlattenOverWhite(image);
        }
    }

    /// <summary>
    /// Drops alpha by compositing over white. Fully transparent pixels usually carry arbitrary
    /// (often black) colour; white is what viewers show behind cut-outs and logos, so the VAE
    /// sees the picture the user sees rather than a black silhouette.
    /// </summary>
    private static RgbImage FlattenOverWhite(Image<Rgba32> image)
    {
        int w = image.Width, h = image.Height;
        var rgba = new Rgba32[w * h];
        image.CopyPixelDataTo(rgba);
        var result = new RgbImage(w, h);
        byte[] dst = result.Pixels;
        for (int i = 0, j = 0; i < rgba.Length; i++, j += 3)
        {
            Rgba32 p = rgba[i];
            int a = p.A;
            if (a == 255)
            {
                dst[j] = p.R; dst[j + 1] = p.G; dst[j + 2] = p.B;
            }
            else
            {
                int white = 255 * (255 - a);
                dst[j] = (byte)((p.R * a + white + 127) / 255);
                dst[j + 1] = (byte)((p.G * a + white + 127) / 255);
                dst[j + 2] = (byte)((p.B * a + white + 127) / 255);
            }
        }
        return result;
    }

    private static Configuration CreateConfiguration()
    {
        var configuration = new Configuration(
            new PngConfigurationModule(),
            new JpegConfigurationModule(),
            new WebpConfigurationModule(),
            new BmpConfigurationModule(),
            new GifConfigurationModule());
        // Only the first GIF frame is used, so do not decode the rest.
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }

    // Corrupt input can surface from the decoders as many exception types; all of them mean
    // "this file is not a readable image". Resource exhaustion and cancellation are not that.
    private static bool IsDecoderFailure(Exception e) =>
        e is not (OutOfMemoryException or OperationCanceledException or ReNoiseInputException);

    private static string Describe(Exception e) => e switch
    {
        InvalidImageContentException => $"invalid content: {OneLine(e.Message)}",
        UnknownImageFormatException => "unknown format; expected PNG, JPEG, WebP, BMP or GIF",
        _ => OneLine(e.Message),
    };

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim().TrimEnd('.');

    private static ReNoiseInputException Unreadable(string displayName, string reason, Exception? inner = null) =>
        inner is null
            ? new ReNoiseInputException($"'{displayName}' is not a readable image ({reason})")
            : new ReNoiseInputException($"'{displayName}' is not a readable image ({reason})", inner);
}
