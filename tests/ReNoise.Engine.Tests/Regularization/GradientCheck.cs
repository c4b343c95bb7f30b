using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Regularization;

internal static class GradientCheck
{
    public static float[] Gaussian(LatentShape shape, int seed, float offset = 0f)
    {
        var values = new float[shape.Length];
        new SeededRandom(seed).FillGaussian(values);
        for (int i = 0; i < values.Length; i++) values[i] += offset;
        return values;
    }

    /// <summary>
    /// Central differences of a loss evaluated in double. The denominator is the perturbation
    /// actually representable in float, so input rounding does not enter the estimate.
    /// </summary>
    public static double[] CentralDifferences(float[] x, Func<float[], double> loss, double step)
    {
        var result = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            float original = x[i];
            float plus = (float)(original + step), minus = (float)(original - step);
            x[i] = plus;
            double lossPlus = loss(x);
            x[i] = minus;
            double lossMinus = loss(x);
            x[i] = original;
            result[i] = (lossPlus - lossMinus) / ((double)plus - minus);
        }
        return result;
    }

    public static double Norm(ReadOnlySpan<double> v)
    {
        double s = 0;
        foreach (double x in v) s += x * x;
        return Math.Sqrt(s);
    }

    /// <summary>|analytic - numeric| / |numeric| over the whole gradient vector.</summary>
    public static double RelativeError(ReadOnlySpan<float> analytic, ReadOnlySpan<double> numeric)
    {
        double diff = 0;
        for (int i = 0; i < numeric.Length; i++)
        {
            double d = analytic[i] - numeric[i];
            diff += d * d;
        }
        return Math.Sqrt(diff) / Norm(numeric);
    }
}
