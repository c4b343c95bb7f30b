using ReNoise.Engine.Imaging;

namespace ReNoise.Engine.Tests.Imaging;

public class ImageTensorTests
{
    [Fact]
    public void BytesSurviveARoundTripExactly()
    {
        var rng = new Random(11);
        var image = new RgbImage(24, 16);
        rng.NextBytes(image.Pixels);
        image.Pixels[0] = 0;
        image.Pixels[1] = 255;
        var tensor = new float[3 * 24 * 16];

        ImageTensor.ToNchw(image, tensor);
        RgbImage back = ImageTensor.FromNchw(tensor, 24, 16);

        Assert.Equal(image.Pixels, back.Pixels);
    }

    [Fact]
    public void EveryByteValueRoundTrips()
    {
        var image = new RgbImage(256, 1);
        for (int x = 0; x < 256; x++)
        {
            image.Pixels[3 * x] = (byte)x;
            image.Pixels[3 * x + 1] = (byte)(255 - x);
            image.Pixels[3 * x + 2] = (byte)(x * 7);
        }
        var tensor = new float[3 * 256];
        ImageTensor.ToNchw(image, tensor);
        Assert.Equal(image.Pixels, ImageTensor.FromNchw(tensor, 256, 1).Pixels);
    }

    [Fact]
    public void ToNchwIsPlanarRgbScaledToMinusOneOne()
    {
        // 2 wide x 1 high: pixel 0 = (0, 255, 51), pixel 1 = (255, 0, 204).
        var image = new RgbImage(2, 1, [0, 255, 51, 255, 0, 204]);
        var tensor = new float[6];

        ImageTensor.ToNchw(image, tensor);

        float[] expected = [0 / 127.5f - 1, 255 / 127.5f - 1, 255 / 127.5f - 1, 0 / 127.5f - 1, 51 / 127.5f - 1, 204 / 127.5f - 1];
        Assert.Equal(expected, tensor);
        Assert.Equal(-1f, tensor[0]);
        Assert.Equal(1f, tensor[1]);
    }

    [Fact]
    public void FromNchwClampsAndRoundsToNearest()
    {
        // R plane of a 6x1 image; G and B planes zero.
        float[] tensor = new float[18];
        float[] r = [1.5f, -3f, float.NaN, 0f, 0.5f, 2 * 100.4f / 255f - 1f];
        r.CopyTo(tensor, 0);

        RgbImage image = ImageTensor.FromNchw(tensor, 6, 1);

        byte[] red = Enumerable.Range(0, 6).Select(x => image.GetPixel(x, 0).R).ToArray();
        // 0 -> 127.5 ties to even (128); 0.5 -> 191.25 -> 191; 100.4 -> 100.
        Assert.Equal(new byte[] { 255, 0, 0, 128, 191, 100 }, red);
        Assert.All(Enumerable.Range(0, 6), x => Assert.Equal(128, image.GetPixel(x, 0).G));
    }

    [Fact]
    public void LengthMismatchIsRejected()
    {
        var image = new RgbImage(4, 4);
        Assert.Throws<ArgumentException>(() => ImageTensor.ToNchw(image, new float[47]));
        Assert.Throws<ArgumentException>(() => ImageTensor.FromNchw(new float[49], 4, 4));
    }
}
