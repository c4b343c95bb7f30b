namespace ReNoise.Engine.Imaging;

/// <summary>
/// An 8-bit RGB image: <see cref="Pixels"/> holds Height x Width x 3 bytes (HWC, row-major),
/// the layout the VAE conversion and the metrics read directly.
/// </summary>
public sealed class RgbImage
{
    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    /// <summary>A black image of the given size.</summary>
    public RgbImage(int width, int height)
        : this(width, height, new byte[CheckedLength(width, height)])
    {
    }

    /// <summary>Wraps <paramref name="pixels"/> (not copied); its length must be width*height*3.</summary>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        long length = CheckedLength(width, height);
        if (pixels.Length != length)
            throw new ArgumentException($"pixel buffer has {pixels.Length} bytes; a {width}x{height} RGB image needs {length}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>The colour at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public (byte R, byte G, byte B) GetPixel(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"({x},{y}) is outside the {Width}x{Height} image");
        int i = (y * Width + x) * 3;
        return (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    /// <summary>
    /// Reads an image file at its own size (EXIF orientation and alpha handled as the loader does,
    /// no resampling), so the pixels are exactly those stored; for results and metrics. A photo to
    /// invert goes through <see cref="ImageLoader"/>, which fits it to the working size.
    /// </summary>
    public static RgbImage Read(string path) => ImageFiles.LoadRgb(path);

    /// <summary>As <see cref="Read"/>, from the bytes of an image file; <paramref name="name"/> names it in messages.</summary>
    public static RgbImage Decode(byte[] bytes, string name) => ImageLoader.Decode(bytes, name, target: null);

    /// <summary>Writes the image as an 8-bit RGB PNG.</summary>
    public void SavePng(string path) => ImageFiles.SavePng(this, path);

    public override string ToString() => $"RgbImage {Width}x{Height}";

    private static int CheckedLength(int width, int height)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        long length = 3L * width * height;
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} is too large");
        return (int)length;
    }
}
