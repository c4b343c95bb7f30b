using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Tensors;

public class SeededRandomTests
{
    /// <summary>The draw as first written: one value at a time, Math.Sin and Math.Cos separately.</summary>
    private sealed class StraightforwardRandom(int seed)
    {
        private readonly Random _random = new(seed);
        private double? _spare;

        public double NextGaussian()
        {
            if (_spare is double s)
            {
                _spare = null;
                return s;
            }
            double u1;
            do u1 = _random.NextDouble(); while (u1 <= double.Epsilon);
            double u2 = _random.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            _spare = r * Math.Sin(2.0 * Math.PI * u2);
            return r * Math.Cos(2.0 * Math.PI * u2);
        }
    }

    [Theory]
    [InlineData(7865)]
    [InlineData(0)]
    [InlineData(-12345)]
    public void FillGaussianDrawsTheSameValuesAsOneAtATime(int seed)
    {
        // Odd and even lengths, so fills start and end on a pending spare value.
        var reference = new StraightforwardRandom(seed);
        var random = new SeededRandom(seed);
        foreach (int length in new[] { 16384, 7, 1, 65536, 3, 0, 2, 16385, 4 * 16384 })
        {
            var expected = new float[length];
            for (int i = 0; i < length; i++) expected[i] = (float)reference.NextGaussian();
            var actual = new float[length];
            random.FillGaussian(actual);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal(reference.NextGaussian(), random.NextGaussian());
        Assert.Equal(reference.NextGaussian(), random.NextGaussian());
    }

    [Fact]
    public void SinCosEqualsSinAndCosOnAMillionArguments()
    {
        // The draw relies on it (see SeededRandom.NextPair); a platform whose math library differs fails here.
        var random = new Random(1);
        for (int i = 0; i < 1_000_000; i++)
        {
            double x = 2.0 * Math.PI * random.NextDouble();
            var (sin, cos) = Math.SinCos(x);
            Assert.Equal(Math.Sin(x), sin);
            Assert.Equal(Math.Cos(x), cos);
        }
    }
}
