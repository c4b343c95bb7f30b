namespace ReNoise.Engine.Tensors;

/// <summary>
/// The one source of randomness of a run (Gaussian noise maps, AC-loss shifts), seeded so that
/// a seed reproduces a run exactly. System.Random with a seed uses a fixed legacy algorithm, so
/// results are stable across machines and .NET versions.
/// </summary>
internal sealed class SeededRandom
{
    private readonly Random _random;
    private double? _spare;

    public SeededRandom(int seed) => _random = new Random(seed);

    /// <summary>Uniform integer in [0, maxExclusive).</summary>
    public int NextInt(int maxExclusive) => _random.Next(maxExclusive);

    /// <summary>Standard normal draw (Box-Muller, both values used).</summary>
    public double NextGaussian()
    {
        if (_spare is double s)
        {
            _spare = null;
            return s;
        }
        var (first, second) = NextPair();
        _spare = second;
        return first;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with the values <see cref="NextGaussian"/> would return one
    /// by one, a Box-Muller pair at a time.
    /// </summary>
    public void FillGaussian(Span<float> destination)
    {
        if (destination.IsEmpty) return;
        int i = 0;
        if (_spare is double s)
        {
            _spare = null;
            destination[i++] = (float)s;
        }
        for (; i + 1 < destination.Length; i += 2)
        {
            var (first, second) = NextPair();
            destination[i] = (float)first;
            destination[i + 1] = (float)second;
        }
        if (i < destination.Length) destination[i] = (float)NextGaussian();
    }

    /// <summary>
    /// One Box-Muller pair: r cos(2 pi u2), then r sin(2 pi u2). Math.SinCos gives the same values as
    /// Math.Sin and Math.Cos (glibc's sincos is the same code; SeededRandomTests checks it on the
    /// draws of a run) at about two thirds of their cost, the largest part of a draw.
    /// </summary>
    private (double First, double Second) NextPair()
    {
        double u1;
        do u1 = _random.NextDouble(); while (u1 <= double.Epsilon);
        double u2 = _random.NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
        return (r * cos, r * sin);
    }
}
