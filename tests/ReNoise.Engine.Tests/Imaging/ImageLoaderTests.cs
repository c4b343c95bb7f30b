using System.Buffers.Binary;
using System.Text;
using ReNoise.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Imaging;

public class ImageLoaderTests
{
    private static readonly Rgba32 Red = new(255, 0, 0), Green = new(0, 255, 0), Blue = new(0, 0, 255),
        White = new(255, 255, 255), Gray = new(128, 128, 128);

    /// <summary>Quadrants: top-left red, top-right green, bottom-left blue, bottom-right white.</summary>
    private static Image<Rgba32> Quadrants(int width, int height)
    {
        var img = new Image<Rgba32>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                img[x, y] = (x < width / 2, y < height / 2) switch
                {
                    (true, true) => Red,
                    (false, true) => Green,
                    (true, false) => Blue,
                    _ => White,
                };
        return img;
    }

    private static Image<Rgb24> Noise(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var bytes = new byte[width * height * 3];
        rng.NextBytes(bytes);
        return Image.LoadPixelData<Rgb24>(bytes, width, height);
    }

    private static void AssertColor(Rgba32 expected, RgbImage image, int x, int y, int tolerance)
    {
        var (r, g, b) = image.GetPixel(x, y);
        Assert.True(Math.Abs(r - expected.R) <= tolerance && Math.Abs(g - expected.G) <= tolerance && Math.Abs(b - expected.B) <= tolerance,
            $"pixel ({x},{y}) is ({r},{g},{b}), expected about ({expected.R},{expected.G},{expected.B})");
    }

    private static void AssertQuadrants(RgbImage image, int tolerance)
    {
        int w = image.Width, h = image.Height;
        AssertColor(Red, image, w / 4, h / 4, tolerance);
        AssertColor(Green, image, 3 * w / 4, h / 4, tolerance);
        AssertColor(Blue, image, w / 4, 3 * h / 4, tolerance);
        AssertColor(White, image, 3 * w / 4, 3 * h / 4, tolerance);
    }

    private static string Save(Image image, TempDirectory dir, string format)
    {
        string path = dir.File("img." + format);
        switch (format)
        {
            case "png": image.SaveAsPng(path); break;
            case "jpg": image.SaveAsJpeg(path, new JpegEncoder { Quality = 95 }); break;
            case "webp": image.SaveAsWebp(path, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }); break;
            case "bmp": image.SaveAsBmp(path); break;
            case "gif": image.SaveAsGif(path); break;
            case "tiff": image.SaveAsTiff(path); break;
            default: throw new ArgumentException(format);
        }
        return path;
    }

    [Theory]
    [InlineData("png", 0)]
    [InlineData("jpg", 12)]
    [InlineData("webp", 0)]
    [InlineData("bmp", 0)]
    [InlineData("gif", 0)]
    public void LoadsEachFormatAtItsOwnSizeAndDownscaled(string format, int tolerance)
    {
        using var dir = new TempDirectory();
        using var source = Quadrants(48, 32);
        string path = Save(source, dir, format);

        RgbImage same = ImageLoader.Load(path, 48, 32);
        Assert.Equal((48, 32), (same.Width, same.Height));
        AssertQuadrants(same, tolerance);

        RgbImage half = ImageLoader.Load(path, 24, 16);
        Assert.Equal((24, 16), (half.Width, half.Height));
        AssertQuadrants(half, tolerance + 2);
    }

    [Fact]
    public void GifUsesTheFirstFrame()
    {
        using var dir = new TempDirectory();
        using var gif = new Image<Rgba32>(16, 16, Red);
        gif.Frames.AddFrame(Enumerable.Repeat(Blue, 16 * 16).ToArray());
        string path = Save(gif, dir, "gif");
        using (var check = Image.Load<Rgba32>(path))
        {
            Assert.Equal(2, check.Frames.Count); // the file really is animated
            Assert.Equal(Blue, check.Frames[1][8, 8]);
        }

        RgbImage image = ImageLoader.Load(path, 16, 16);

        AssertColor(Red, image, 8, 8, 0);
        AssertColor(Red, image, 0, 15, 0);
    }

    [Fact]
    public void ExifOrientationIsApplied()
    {
        // Stored 64 wide x 32 tall with a red top-left quadrant. Orientation 6 (RightTop) means
        // "rotate 90 degrees clockwise to view", which moves that quadrant to the top right of
        // a 32 x 64 picture.
        using var dir = new TempDirectory();
        using var stored = new Image<Rgba32>(64, 32, Gray);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 32; x++)
                stored[x, y] = Red;
        string plain = Save(stored, dir, "jpg");
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        string rotated = dir.File("rotated.jpg");
        stored.SaveAsJpeg(rotated, new JpegEncoder { Quality = 95 });
        Assert.Equal((ushort)6, Image.Identify(rotated).Metadata.ExifProfile!.GetValue(ExifTag.Orientation)!.Value);

        RgbImage control = ImageLoader.Load(plain, 64, 32);
        AssertColor(Red, control, 16, 8, 12);
        AssertColor(Gray, control, 48, 8, 12);

        RgbImage exact = ImageFiles.LoadRgb(rotated);
        Assert.Equal((32, 64), (exact.Width, exact.Height));

        RgbImage image = ImageLoader.Load(rotated, 32, 64);
        AssertColor(Red, image, 24, 16, 12);
        AssertColor(Gray, image, 8, 16, 12);
        AssertColor(Gray, image, 24, 48, 12);
        AssertColor(Gray, image, 8, 48, 12);
    }

    [Fact]
    public void AlphaIsFlattenedOverWhite()
    {
        using var dir = new TempDirectory();
        using var png = new Image<Rgba32>(8, 8);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                png[x, y] = x < 4 ? new Rgba32(255, 0, 0, 128) : new Rgba32(0, 0, 0, 0);
        string path = Save(png, dir, "png");

        RgbImage image = ImageLoader.Load(path, 8, 8);

        AssertColor(White, image, 6, 3, 0);
        // Half-covered red over white: (255, 255 * 127/255, ...) ~ (255, 127, 127).
        AssertColor(new Rgba32(255, 127, 127), image, 1, 3, 1);
        Assert.Equal(8 * 8 * 3, image.Pixels.Length);
    }

    [Theory]
    [InlineData(200, 100)] // downscale
    [InlineData(30, 15)]   // upscale
    public void WideImageIsScaledToCoverAndCentreCropped(int width, int height)
    {
        // Vertical thirds red | green | blue. Covering 64x64 scales the height to 64 and keeps
        // the middle half of the width, so the red/green and green/blue edges land at columns
        // 64 * (1/3 - 1/4) * 2 = 10.67 and 53.33.
        using var dir = new TempDirectory();
        using var source = new Image<Rgba32>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                source[x, y] = 3 * x < width ? Red : 3 * x < 2 * width ? Green : Blue;
        string path = Save(source, dir, "png");

        RgbImage image = ImageLoader.Load(path, 64, 64);

        Assert.Equal((64, 64), (image.Width, image.Height));
        foreach (int y in new[] { 0, 31, 63 })
        {
            AssertColor(Red, image, 4, y, 8);
            AssertColor(Green, image, 32, y, 0);
            AssertColor(Blue, image, 60, y, 8);
            int green = Enumerable.Range(0, 64).Count(x => image.GetPixel(x, y) is var p && p.G > p.R && p.G > p.B);
            Assert.InRange(green, 42, 44);
        }
    }

    [Fact]
    public void TallImageIsCentreCroppedVertically()
    {
        using var dir = new TempDirectory();
        using var source = new Image<Rgba32>(100, 200);
        for (int y = 0; y < 200; y++)
            for (int x = 0; x < 100; x++)
                source[x, y] = 3 * y < 200 ? Red : 3 * y < 400 ? Green : Blue;
        string path = Save(source, dir, "png");

        RgbImage image = ImageLoader.Load(path, 64, 64);

        AssertColor(Red, image, 32, 4, 8);
        AssertColor(Green, image, 32, 32, 0);
        AssertColor(Blue, image, 32, 60, 8);
        int green = Enumerable.Range(0, 64).Count(y => image.GetPixel(20, y) is var p && p.G > p.R && p.G > p.B);
        Assert.InRange(green, 42, 44);
    }

    [Fact]
    public void OversizedImageIsRejected()
    {
        using var dir = new TempDirectory();
        using var wide = new Image<Rgb24>(8200, 8);
        string path = Save(wide, dir, "png");

        var e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(path, 64, 64));

        Assert.Contains("image is 8200x8 pixels; the limit is 8192 on a side", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void SizeLimitIsCheckedFromTheHeaderBeforeDecoding()
    {
        // A PNG whose header claims 9000x100 but whose pixel data is cut off: only a header
        // check can report the size; decoding or the completeness check would fail first.
        using var dir = new TempDirectory();
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, 9000);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), 100);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", new byte[100]);
        string path = dir.File("huge.png");
        File.WriteAllBytes(path, png.ToArray()[..^20]);

        var e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(path, 64, 64));

        Assert.Contains("image is 9000x100 pixels; the limit is 8192 on a side", e.Message);
    }

    [Fact]
    public void A_decompression_bomb_within_the_side_limit_is_refused_from_its_header()
    {
        // 8192 x 8192 (67 megapixels, 256 MB decoded) in a few hundred bytes: every side is within
        // the limit, the pixel count is not. Only the header is read, so the missing data never matters.
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, 8192);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), 8192);
        ihdr[8] = 8;
        ihdr[9] = 2;
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", new byte[100]);
        png.Position = 0;

        var e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(png, 64, 64, "bomb.png"));

        Assert.Equal("'bomb.png': image is 8192x8192 pixels (67.1 megapixels); the limit is 40 megapixels", e.Message);
    }

    [Theory]
    [InlineData("png", "truncated PNG")]
    [InlineData("jpg", "truncated JPEG")]
    [InlineData("webp", "truncated WebP")]
    [InlineData("bmp", "truncated BMP")]
    [InlineData("gif", "truncated GIF")]
    public void FileCutAtHalfLengthIsRejected(string format, string reason)
    {
        using var dir = new TempDirectory();
        using var noise = Noise(64, 64, 3);
        string path = Save(noise, dir, format);
        byte[] bytes = File.ReadAllBytes(path);
        string cut = dir.File("cut." + format);
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        Assert.Equal(64, ImageLoader.Load(path, 64, 64).Width); // the whole file is fine

        var e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(cut, 64, 64));

        Assert.Contains($"'{cut}' is not a readable image", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void JpegWhoseEndMarkerIsMissingIsRejected()
    {
        // Dropping only the final FF D9 leaves every pixel present; ImageSharp decodes it,
        // the structural walk still notices the file is incomplete.
        using var dir = new TempDirectory();
        using var noise = Noise(32, 32, 5);
        string path = Save(noise, dir, "jpg");
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0xFF, 0xD9 }, bytes[^2..]);
        string cut = dir.File("noeoi.jpg");
        File.WriteAllBytes(cut, bytes[..^2]);

        var e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(cut, 32, 32));

        Assert.Contains("truncated JPEG", e.Message);
    }

    [Fact]
    public void GarbageAndEmptyFilesAreRejected()
    {
        using var dir = new TempDirectory();
        var garbage = new byte[1000];
        new Random(1).NextBytes(garbage);
        garbage[0] = 0x42; // not a magic number of any supported format
        string path = dir.File("garbage.png");
        File.WriteAllBytes(path, garbage);
        var e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(path, 64, 64));
        Assert.Contains($"'{path}' is not a readable image (unknown format", e.Message);

        string empty = dir.File("empty.jpg");
        File.WriteAllBytes(empty, []);
        e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(empty, 64, 64));
        Assert.Contains($"'{empty}' is not a readable image (the file is empty)", e.Message);
    }

    [Fact]
    public void CorruptPixelDataIsRejected()
    {
        // Valid signature and complete chunk structure but nonsense compressed data.
        using var dir = new TempDirectory();
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, 16);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), 16);
        ihdr[8] = 8;
        ihdr[9] = 2;
        WriteChunk(png, "IHDR", ihdr);
        var junk = new byte[64];
        new Random(2).NextBytes(junk);
        WriteChunk(png, "IDAT", junk);
        WriteChunk(png, "IEND", []);
        string path = dir.File("corrupt.png");
        File.WriteAllBytes(path, png.ToArray());

        var e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(path, 16, 16));

        Assert.Contains($"'{path}' is not a readable image (", e.Message);
    }

    [Fact]
    public void UnsupportedFormatIsRejected()
    {
        using var dir = new TempDirectory();
        using var img = Quadrants(16, 16);
        string path = Save(img, dir, "tiff");

        var e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(path, 16, 16));

        Assert.Contains("unknown format; expected PNG, JPEG, WebP, BMP or GIF", e.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nope.png");
        var e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(path, 64, 64));
        Assert.Equal($"image file '{path}' was not found", e.Message);

        e = Assert.Throws<ReNoiseInputException>(() => ImageLoader.Load(dir.Path, 64, 64));
        Assert.Contains("is a directory", e.Message);
    }

    [Fact]
    public void StreamOverloadDecodesAndNamesTheSourceInErrors()
    {
        using var img = Quadrants(32, 32);
        var png = new MemoryStream();
        img.SaveAsPng(png);
        png.Position = 0;

        RgbImage image = ImageLoader.Load(png, 16, 16, "upload.png");
        AssertQuadrants(image, 2);

        var e = Assert.Throws<ReNoiseInputException>(() =>
            ImageLoader.Load(new MemoryStream(Encoding.ASCII.GetBytes("hello, not an image")), 16, 16, "upload.png"));
        Assert.Contains("'upload.png' is not a readable image", e.Message);
    }

    [Fact]
    public void SavePngThenLoadRgbIsExact()
    {
        using var dir = new TempDirectory();
        var image = new RgbImage(37, 23);
        new Random(4).NextBytes(image.Pixels);
        string path = dir.File("out.png");

        ImageFiles.SavePng(image, path);

        Assert.Equal(24, Image.Identify(path).PixelType.BitsPerPixel); // plain 8-bit RGB
        RgbImage back = ImageFiles.LoadRgb(path);
        Assert.Equal((37, 23), (back.Width, back.Height));
        Assert.Equal(image.Pixels, back.Pixels);
    }

    [Fact]
    public void SavePngIntoMissingFolderNamesThePath()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "no-such-dir", "out.png");
        var e = Assert.Throws<ReNoiseInputException>(() => ImageFiles.SavePng(new RgbImage(8, 8), path));
        Assert.Contains(path, e.Message);
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        stream.Write(word);
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
