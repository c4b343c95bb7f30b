using ReNoise.Engine.Inversion;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Inversion;

/// <summary>Noise maps for tests, one per step from a generator.</summary>
internal static class TestNoiseMaps
{
    public static NoiseMaps Of(LatentShape shape, int count, Func<int, float[]> map)
    {
        var maps = new NoiseMaps(shape, count);
        for (int k = 0; k < count; k++) map(k).CopyTo(maps[k]);
        return maps;
    }
}
