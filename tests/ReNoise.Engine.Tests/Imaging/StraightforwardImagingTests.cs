using ReNoise.Engine.Imaging;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Imaging;

/// <summary>
/// The vectorized image conversions and metrics equal their first, scalar versions
/// (<see cref="StraightforwardImaging"/>) bit for bit, SSIM to 1e-12 relative: the latent the VAE gets, the
/// reconstruction's bytes and the reported PSNR do not move.
/// </summary>
public class StraightforwardImagingTests
{
    /// <summary>Sizes with vector tails in every direction (SSIM's valid width 1, 2, 3, 5, ...), plus 512x512.</summary>
    public static TheoryData<int, int> Sizes() => new()
    {
        { 11, 11 }, { 12, 13 }, { 13, 40 }, { 15, 11 }, { 16, 16 }, { 37, 23 }, { 64, 64 }, { 101, 77 }, { 512, 512 },
    };

    private static string FixtureImage(string name) => Path.Combine(FixturePaths.RepoRoot, "tests", "fixtures", "images", name);

    private static RgbImage Random(int width, int height, int seed)
    {
        var image = new RgbImage(width, height);
        new Random(seed).NextBytes(image.Pixels);
        return image;
    }

    /// <summary>A noisy copy of <paramref name="image"/> (a reconstruction-like pair with mid-range SSIM).</summary>
    private static RgbImage Perturbed(RgbImage image, int seed, int amplitude)
    {
        var random = new Random(seed);
        var pixels = (byte[])image.Pixels.Clone();
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)Math.Clamp(pixels[i] + random.Next(-amplitude, amplitude + 1), 0, 255);
        return new RgbImage(image.Width, image.Height, pixels);
    }

    /// <summary>
    /// SSIM pairs the symmetric taps in fused multiply-adds and sums the map in vector lanes per band
    /// of rows, so it rounds differently from the straightforward version (taps in order, one map value
    /// at a time): they agree to 1e-14 relative or better; this pins 1e-12 (the CLI prints 4 decimals).
    /// </summary>
    private const double SsimTolerance = 1e-12;

    private static void AssertClose(double expected, double actual) =>
        Assert.True(Math.Abs(actual - expected) <= SsimTolerance * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SsimMatchesTheStraightforwardVersion(int width, int height)
    {
        RgbImage a = Random(width, height, width * 31 + height);
        foreach (RgbImage b in new[] { Random(width, height, height), Perturbed(a, 5, 40), Perturbed(a, 6, 3), a })
        {
            AssertClose(StraightforwardImaging.Ssim(a, b), ImageMetrics.Ssim(a, b));
            AssertClose(StraightforwardImaging.Ssim(b, a), ImageMetrics.Ssim(b, a));
        }
    }

    [Fact]
    public void SsimOfTheFixturePhotosMatchesTheStraightforwardVersion()
    {
        RgbImage a = ImageLoader.Load(FixtureImage("astronaut.png"), 512, 512);
        RgbImage b = ImageLoader.Load(FixtureImage("coffee.png"), 512, 512);
        AssertClose(StraightforwardImaging.Ssim(a, b), ImageMetrics.Ssim(a, b));
        RgbImage noisy = Perturbed(a, 9, 20);
        AssertClose(StraightforwardImaging.Ssim(a, noisy), ImageMetrics.Ssim(a, noisy));
    }

    [Fact]
    public void SsimIsTheSameOnEveryCall()
    {
        // The bands run on whatever threads are free; their sums are added in a fixed order.
        RgbImage a = ImageLoader.Load(FixtureImage("astronaut.png"), 512, 512);
        RgbImage noisy = Perturbed(a, 9, 20);
        long first = BitConverter.DoubleToInt64Bits(ImageMetrics.Ssim(a, noisy));
        for (int i = 0; i < 20; i++) Assert.Equal(first, BitConverter.DoubleToInt64Bits(ImageMetrics.Ssim(a, noisy)));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MeanSquaredErrorIsBitIdentical(int width, int height)
    {
        RgbImage a = Random(width, height, width + height);
        foreach (RgbImage b in new[] { Random(width, height, 3), Perturbed(a, 4, 255), a, Inverted(a) })
            Assert.Equal(StraightforwardImaging.MeanSquaredError(a, b), ImageMetrics.MeanSquaredError(a, b));
    }

    [Fact]
    public void MeanSquaredErrorOfTheLargestDifferencesIsExact()
    {
        // Every value 0 against 255 over a large image: the sum must not overflow its accumulators.
        var a = new RgbImage(2048, 1024);
        var b = new RgbImage(2048, 1024);
        Array.Fill(b.Pixels, (byte)255);
        Assert.Equal(255.0 * 255.0, ImageMetrics.MeanSquaredError(a, b));
    }

    private static RgbImage Inverted(RgbImage image) =>
        new(image.Width, image.Height, image.Pixels.Select(p => (byte)(255 - p)).ToArray());

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ToNchwIsBitIdentical(int width, int height)
    {
        RgbImage image = Random(width, height, 17);
        var expected = new float[3 * width * height];
        var actual = new float[expected.Length];
        StraightforwardImaging.ToNchw(image, expected);
        ImageTensor.ToNchw(image, actual);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void FromNchwIsBitIdentical(int width, int height)
    {
        // Decoder-like values: mostly inside [-1, 1], some beyond, and the special values.
        var random = new Random(width * height);
        var tensor = new float[3 * width * height];
        for (int i = 0; i < tensor.Length; i++) tensor[i] = (float)(random.NextDouble() * 2.4 - 1.2);
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 1f, -1f, 1.0000001f, -1.0000001f,
            float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, 127.5f / 127.5f - 1f, 0.5f / 127.5f, -0.5f / 127.5f];
        for (int i = 0; i < special.Length && i < tensor.Length; i++) tensor[tensor.Length - 1 - i * 7 % tensor.Length] = special[i];
        Assert.Equal(StraightforwardImaging.FromNchw(tensor, width, height).Pixels, ImageTensor.FromNchw(tensor, width, height).Pixels);
    }

    [Fact]
    public void FromNchwRoundsEveryHalfwayPointAsBefore()
    {
        // (x + 1) * 127.5 lands on k + 0.5 (ties to even) or just beside it around each byte value.
        var values = new List<float>();
        for (int k = 0; k <= 255; k++)
        {
            float x = (k + 0.5f) / 127.5f - 1f;
            values.AddRange([x, MathF.BitDecrement(x), MathF.BitIncrement(x), k / 127.5f - 1f]);
        }
        while (values.Count % 3 != 0) values.Add(0f);
        float[] tensor = [.. values];
        int width = tensor.Length / 3;
        Assert.Equal(StraightforwardImaging.FromNchw(tensor, width, 1).Pixels, ImageTensor.FromNchw(tensor, width, 1).Pixels);
    }
}
