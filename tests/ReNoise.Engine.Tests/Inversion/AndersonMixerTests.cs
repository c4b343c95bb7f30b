using System.Numerics.Tensors;
using ReNoise.Engine.Inversion;

namespace ReNoise.Engine.Tests.Inversion;

public sealed class AndersonMixerTests
{
    private const int N = 64;

    /// <summary>G(x) = D x + b with D diagonal taking two values: a linear contraction of rate 0.95.</summary>
    private static void Map(ReadOnlySpan<float> x, Span<float> g)
    {
        for (int i = 0; i < N; i++)
        {
            float d = i % 2 == 0 ? 0.95f : 0.5f;
            g[i] = d * x[i] + (i % 7) - 3f;
        }
    }

    private static float[] FixedPoint()
    {
        var x = new float[N];
        for (int i = 0; i < N; i++) x[i] = ((i % 7) - 3f) / (1f - (i % 2 == 0 ? 0.95f : 0.5f));
        return x;
    }

    private static double ErrorAfter(int iterations, AndersonMixer? mixer)
    {
        var x = new float[N];
        var g = new float[N];
        for (int k = 0; k < iterations; k++)
        {
            Map(x, g);
            if (mixer is null) g.CopyTo(x, 0);
            else mixer.Next(x, g);
        }
        var star = FixedPoint();
        return TensorPrimitives.Distance<float>(x, star) / TensorPrimitives.Norm<float>(star);
    }

    [Fact]
    public void On_a_linear_map_with_two_rates_depth_two_converges_where_the_plain_iteration_crawls()
    {
        // Type-II Anderson on a linear map is a Krylov method: with two distinct rates, depth 2
        // solves it in a few steps, while the plain iteration shrinks the error by 0.95 per step.
        double plain = ErrorAfter(6, null);
        double anderson = ErrorAfter(6, new AndersonMixer(2, N));
        Assert.True(plain > 0.5, $"plain error {plain}");
        Assert.True(anderson < 1e-4, $"Anderson error {anderson}");
    }

    [Fact]
    public void Without_history_the_step_is_the_plain_one()
    {
        var mixer = new AndersonMixer(3, N);
        var x = new float[N];
        var g = new float[N];
        Map(x, g);
        mixer.Next(x, g);
        Assert.Equal(g, x);
        Assert.Equal(0, mixer.HistoryCount);
    }

    [Fact]
    public void A_degenerate_history_restarts_with_the_plain_step_instead_of_producing_nan()
    {
        // G(x) = x + 1 has the same residual everywhere, so every residual difference is zero.
        var mixer = new AndersonMixer(2, N);
        var x = new float[N];
        var g = new float[N];
        for (int k = 0; k < 4; k++)
        {
            TensorPrimitives.Add(x, 1f, g);
            mixer.Next(x, g);
            Assert.Equal(g, x);
        }
        Assert.Equal(0, mixer.HistoryCount);
    }

    [Fact]
    public void History_is_capped_at_the_depth_and_reset_forgets_it()
    {
        var mixer = new AndersonMixer(2, N);
        var x = new float[N];
        var g = new float[N];
        for (int k = 0; k < 5; k++)
        {
            for (int i = 0; i < N; i++) g[i] = 0.9f * x[i] + MathF.Sin(i + k) + 0.1f * x[i] * x[i] / (1 + x[i] * x[i]);
            mixer.Next(x, g);
        }
        Assert.Equal(2, mixer.HistoryCount);
        mixer.Reset();
        Assert.Equal(0, mixer.HistoryCount);
        Map(x, g);
        mixer.Next(x, g);
        Assert.Equal(g, x);
    }
}
