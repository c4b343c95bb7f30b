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
        double u1;
        do u1 = _random.NextDouble(); while (u1 <= double.Epsilon);
        double u2 = _random.NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2.0 * Math.PI * u2);
        return r * Math.Cos(2.0 * Math.PI * u2);
    }

    public void FillGaussian(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)NextGaussian();
    }
}
