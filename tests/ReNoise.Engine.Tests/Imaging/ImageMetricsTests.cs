using System.Text.Json;
using ReNoise.Engine.Imaging;

namespace ReNoise.Engine.Tests.Imaging;

public class ImageMetricsTests
{
    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "Imaging", "data", name);

    public record MetricRef(string A, string B, double Psnr, double Ssim, double Mse);

    /// <summary>Pairs and scikit-image values from tools/metrics/make_metric_refs.py.</summary>
    public static TheoryData<string, string> Pairs()
    {
        var data = new TheoryData<string, string>();
        foreach (MetricRef r in LoadRefs()) data.Add(r.A, r.B);
        return data;
    }

    private static List<MetricRef> LoadRefs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Data("metric_refs.json")));
        return doc.RootElement.GetProperty("pairs").EnumerateArray()
            .Select(p => new MetricRef(p.GetProperty("a").GetString()!, p.GetProperty("b").GetString()!,
                p.GetProperty("psnr").GetDouble(), p.GetProperty("ssim").GetDouble(), p.GetProperty("mse").GetDouble()))
            .ToList();
    }

    private static MetricRef Find(string a, string b) => LoadRefs().Single(r => r.A == a && r.B == b);

    [Theory]
    [MemberData(nameof(Pairs))]
    public void PsnrMatchesScikitImage(string a, string b)
    {
        MetricRef expected = Find(a, b);
        RgbImage x = ImageFiles.LoadRgb(Data(a)), y = ImageFiles.LoadRgb(Data(b));
        Assert.Equal(expected.Mse, ImageMetrics.MeanSquaredError(x, y), 1e-9);
        Assert.Equal(expected.Psnr, ImageMetrics.Psnr(x, y), 1e-6);
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void SsimMatchesScikitImage(string a, string b)
    {
        MetricRef expected = Find(a, b);
        RgbImage x = ImageFiles.LoadRgb(Data(a)), y = ImageFiles.LoadRgb(Data(b));
        Assert.Equal(expected.Ssim, ImageMetrics.Ssim(x, y), 1e-4);
    }

    [Fact]
    public void ReferencePairsCoverAWideRangeOfSsim()
    {
        // Guards the fixture itself: a test set of near-identical pairs would prove little.
        var values = LoadRefs().Select(r => r.Ssim).ToList();
        Assert.True(values.Min() < 0 && values.Max() > 0.9, string.Join(", ", values));
    }

    [Fact]
    public void IdenticalImagesGiveInfinitePsnrAndUnitSsim()
    {
        RgbImage x = ImageFiles.LoadRgb(Data("ref.png"));
        var copy = new RgbImage(x.Width, x.Height, (byte[])x.Pixels.Clone());
        Assert.Equal(0.0, ImageMetrics.MeanSquaredError(x, copy));
        Assert.Equal(double.PositiveInfinity, ImageMetrics.Psnr(x, copy));
        Assert.Equal(1.0, ImageMetrics.Ssim(x, copy), 1e-12);
    }

    [Fact]
    public void SsimIsSymmetric()
    {
        RgbImage x = ImageFiles.LoadRgb(Data("ref.png")), y = ImageFiles.LoadRgb(Data("noisy.png"));
        Assert.Equal(ImageMetrics.Ssim(x, y), ImageMetrics.Ssim(y, x), 1e-12);
    }

    [Fact]
    public void PsnrOfAKnownUniformErrorFollowsTheDefinition()
    {
        // Every value off by 5: MSE 25, PSNR = 10 log10(255^2 / 25).
        var a = new RgbImage(4, 3);
        var b = new RgbImage(4, 3);
        Array.Fill(a.Pixels, (byte)100);
        Array.Fill(b.Pixels, (byte)105);
        Assert.Equal(25.0, ImageMetrics.MeanSquaredError(a, b));
        Assert.Equal(20 * Math.Log10(255.0 / 5.0), ImageMetrics.Psnr(a, b), 1e-12);
    }

    [Fact]
    public void DifferentSizesAreRejected()
    {
        var a = new RgbImage(16, 16);
        var b = new RgbImage(16, 24);
        Assert.Throws<ArgumentException>(() => ImageMetrics.Psnr(a, b));
        Assert.Throws<ArgumentException>(() => ImageMetrics.Ssim(a, b));
        Assert.Throws<ArgumentException>(() => ImageMetrics.MeanSquaredError(a, b));
    }

    [Fact]
    public void SsimNeedsAtLeastOneFullWindow()
    {
        var a = new RgbImage(10, 40);
        Assert.Throws<ArgumentException>(() => ImageMetrics.Ssim(a, a));
        var b = new RgbImage(11, 11);
        Assert.Equal(1.0, ImageMetrics.Ssim(b, b), 1e-12);
    }
}
