using ReNoise.Engine.Schedulers;
using static ReNoise.Engine.Tests.Schedulers.SchedulerTestData;

namespace ReNoise.Engine.Tests.Schedulers;

public class SchedulerStepTests
{
    public static IEnumerable<object[]> Labels() => AllSchedulerLabels();

    // ---- Independent float64 transcriptions of the spec's forward steps (spec §4). ----

    private static double[] SpecForwardStep(IScheduler s, int i, float[] x, float[] e, float[] n)
    {
        var a = s.AlphasCumprod;
        int count = s.Timesteps.Count, t = s.Timesteps[i];
        double aT = a[t];
        var result = new double[x.Length];
        switch (s)
        {
            case DdimScheduler:
            {
                int prev = t - s.Config.NumTrainTimesteps / count;
                double aPrev = prev >= 0 ? a[prev] : s.Config.SetAlphaToOne ? 1.0 : a[0];
                for (int k = 0; k < x.Length; k++)
                {
                    double x0 = (x[k] - Math.Sqrt(1 - aT) * e[k]) / Math.Sqrt(aT);
                    result[k] = Math.Sqrt(aPrev) * x0 + Math.Sqrt(1 - aPrev) * e[k];
                }
                break;
            }
            case EulerAncestralScheduler:
            {
                double from = Sigma(aT);
                double to = i + 1 < count ? Sigma(a[s.Timesteps[i + 1]]) : 0;
                double up = Math.Sqrt(to * to * Math.Abs(from * from - to * to) / (from * from));
                double down = to * to / from;
                for (int k = 0; k < x.Length; k++) result[k] = x[k] + e[k] * (down - from) + n[k] * up;
                break;
            }
            case LcmScheduler:
            {
                bool last = i == count - 1;
                double aP = a[last ? t : s.Timesteps[i + 1]];
                var (cSkip, cOut) = Scalings(t, s.Config.TimestepScaling);
                for (int k = 0; k < x.Length; k++)
                {
                    double x0 = (x[k] - Math.Sqrt(1 - aT) * e[k]) / Math.Sqrt(aT);
                    double den = cOut * x0 + cSkip * x[k];
                    result[k] = last ? den : Math.Sqrt(aP) * den + Math.Sqrt(1 - aP) * n[k];
                }
                break;
            }
            default:
                throw new InvalidOperationException(s.GetType().Name);
        }
        return result;
    }

    private static double Sigma(double a) => Math.Sqrt((1 - a) / a);

    private static (double CSkip, double COut) Scalings(int t, double timestepScaling)
    {
        double scaled = t * timestepScaling;
        return (0.25 / (scaled * scaled + 0.25), scaled / Math.Sqrt(scaled * scaled + 0.25));
    }

    /// <summary>A latent at the step's noise level, an eps and a noise map, all seeded by the index.</summary>
    private static (float[] X, float[] Eps, float[] Noise) Inputs(IScheduler s, int i, int seed = 100)
    {
        var x = new float[LatentLength];
        s.AddNoise(Gaussian(seed + i), Gaussian(seed + 50 + i), i, x);
        return (x, Gaussian(seed + 200 + i), Gaussian(seed + 300 + i));
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public void Step_MatchesTheSpecFormula(string label)
    {
        var s = ByLabel(label);
        for (int i = 0; i < s.Timesteps.Count; i++)
        {
            var (x, e, n) = Inputs(s, i);
            var xNext = new float[x.Length];
            s.Step(x, e, n, i, xNext);
            Assert.True(RelativeError(xNext, SpecForwardStep(s, i, x, e, n)) < 1e-5, $"{label} step {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public void InverseStep_UndoesStep_AtEveryIndex(string label)
    {
        var s = ByLabel(label);
        for (int i = 0; i < s.Timesteps.Count; i++)
        {
            var (x, e, n) = Inputs(s, i);
            var xNext = new float[x.Length];
            var back = new float[x.Length];
            s.Step(x, e, n, i, xNext);
            s.InverseStep(xNext, e, n, i, back);
            double error = RelativeError(back, x);
            Assert.True(error < 1e-5, $"{label} step {i}: relative error {error}");
        }
    }

    [Fact]
    public void DdimInverse_IsTheSpecFormula()
    {
        var s = new DdimScheduler(Sd15, 50);
        var a = s.AlphasCumprod;
        foreach (int i in new[] { 0, 25, 49 })
        {
            var (_, e, _) = Inputs(s, i);
            var zPrev = Gaussian(7 + i);
            int t = s.Timesteps[i], prev = t - 20;
            double aT = a[t], aPrev = prev >= 0 ? a[prev] : a[0];
            var expected = new double[zPrev.Length];
            for (int k = 0; k < expected.Length; k++)
                expected[k] = Math.Sqrt(aT / aPrev) * zPrev[k]
                              + (Math.Sqrt(1 - aT) - Math.Sqrt(aT) * Math.Sqrt(1 - aPrev) / Math.Sqrt(aPrev)) * e[k];
            var z = new float[zPrev.Length];
            s.InverseStep(zPrev, e, default, i, z);
            Assert.True(RelativeError(z, expected) < 1e-6, $"step {i}");
        }
    }

    [Theory]
    [InlineData(10.0)]
    // A tiny timestep_scaling makes c_skip large, so the reference's unscaled c_skip shows.
    [InlineData(0.01)]
    public void LcmInverse_DividesByUnscaledCSkip_LikeTheReference(double timestepScaling)
    {
        var s = new LcmScheduler(LcmConfig with { TimestepScaling = timestepScaling }, 4);
        var a = s.AlphasCumprod;
        for (int i = 0; i < 4; i++)
        {
            var (_, e, n) = Inputs(s, i);
            var xNext = Gaussian(900 + i);
            int t = s.Timesteps[i];
            bool last = i == 3;
            double aT = a[t], aP = a[last ? t : s.Timesteps[i + 1]];
            var (cSkip, cOut) = Scalings(t, timestepScaling);
            double cO = last ? cOut : cOut * Math.Sqrt(aP);
            var expected = new double[xNext.Length];
            for (int k = 0; k < expected.Length; k++)
            {
                double noise = last ? 0 : Math.Sqrt(1 - aP) * n[k];
                expected[k] = (xNext[k] + Math.Sqrt(1 - aT) * cO / Math.Sqrt(aT) * e[k] - noise)
                              / (cO / Math.Sqrt(aT) + cSkip);
            }
            var x = new float[xNext.Length];
            s.InverseStep(xNext, e, n, i, x);
            Assert.True(RelativeError(x, expected) < 1e-6, $"step {i}");

            // Hence the round trip is exact only at the last step (where c_s = c_skip), up to a
            // c_skip-sized error elsewhere: invisible at timestep_scaling 10, visible at 0.01.
            var again = new float[x.Length];
            s.Step(x, e, n, i, again);
            double error = RelativeError(again, xNext);
            if (last || timestepScaling == 10.0) Assert.True(error < 1e-5, $"step {i}: {error}");
            else Assert.True(error > 1e-3, $"step {i}: {error}");
        }
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public void ToEpsilon_RecoversEpsilonFromVPrediction(string label)
    {
        var eps = ByLabel(label);
        var s = SchedulerFactory.Create(eps.Name, eps.Config with { PredictionType = PredictionType.VPrediction }, eps.Timesteps.Count);
        for (int i = 0; i < s.Timesteps.Count; i++)
        {
            var z0 = Gaussian(10 + i);
            var trueEps = Gaussian(20 + i);
            var x = new float[z0.Length];
            s.AddNoise(z0, trueEps, i, x);
            float scale = s.ModelInputScale(i);
            var modelInput = x.Select(v => v * scale).ToArray();
            // Closed form: x_t = sqrt(a) z0 + sqrt(1-a) eps, v = sqrt(a) eps - sqrt(1-a) z0.
            double a = s.AlphasCumprod[s.Timesteps[i]];
            var v = new float[z0.Length];
            for (int k = 0; k < v.Length; k++) v[k] = (float)(Math.Sqrt(a) * trueEps[k] - Math.Sqrt(1 - a) * z0[k]);

            s.ToEpsilon(v, modelInput, i);
            Assert.True(RelativeError(v, trueEps) < 1e-5, $"{label} step {i}");

            // An epsilon model's output passes through untouched.
            var output = Gaussian(30 + i);
            var copy = output.ToArray();
            eps.ToEpsilon(output, modelInput, i);
            Assert.Equal(copy, output);
        }
    }

    [Theory]
    [InlineData("ddim trailing 4")]
    [InlineData("euler trailing 4")]
    [InlineData("euler leading 10")]
    public void VPredictionStep_MatchesDiffusersVPredictionFormulas(string label)
    {
        var baseScheduler = ByLabel(label);
        var s = SchedulerFactory.Create(baseScheduler.Name,
            baseScheduler.Config with { PredictionType = PredictionType.VPrediction }, baseScheduler.Timesteps.Count);
        var a = s.AlphasCumprod;
        for (int i = 0; i < s.Timesteps.Count; i++)
        {
            var (x, v, n) = Inputs(s, i);
            var expected = new double[x.Length];
            double aT = a[s.Timesteps[i]];
            if (s is EulerAncestralScheduler euler)
            {
                // diffusers: x0 = v * (-sigma / sqrt(sigma^2 + 1)) + x / (sigma^2 + 1); derivative = (x - x0) / sigma.
                double from = euler.Sigmas[i], to = euler.Sigmas[i + 1];
                double up = Math.Sqrt(to * to * (from * from - to * to) / (from * from));
                double down = Math.Sqrt(to * to - up * up);
                for (int k = 0; k < x.Length; k++)
                {
                    double x0 = v[k] * (-from / Math.Sqrt(from * from + 1)) + x[k] / (from * from + 1);
                    expected[k] = x[k] + (x[k] - x0) / from * (down - from) + n[k] * up;
                }
            }
            else
            {
                // diffusers DDIM: x0 = sqrt(a) x - sqrt(1-a) v; eps = sqrt(a) v + sqrt(1-a) x.
                int prev = s.Timesteps[i] - 1000 / s.Timesteps.Count;
                double aPrev = prev >= 0 ? a[prev] : s.Config.SetAlphaToOne ? 1.0 : a[0];
                for (int k = 0; k < x.Length; k++)
                {
                    double x0 = Math.Sqrt(aT) * x[k] - Math.Sqrt(1 - aT) * v[k];
                    double e = Math.Sqrt(aT) * v[k] + Math.Sqrt(1 - aT) * x[k];
                    expected[k] = Math.Sqrt(aPrev) * x0 + Math.Sqrt(1 - aPrev) * e;
                }
            }

            float scale = s.ModelInputScale(i);
            var modelInput = x.Select(value => value * scale).ToArray();
            var eps = v.ToArray();
            s.ToEpsilon(eps, modelInput, i);
            var xNext = new float[x.Length];
            s.Step(x, eps, n, i, xNext);
            Assert.True(RelativeError(xNext, expected) < 1e-5, $"{label} step {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public void AddNoise_AndModelInputScale_FollowTheSchedulersSpace(string label)
    {
        var s = ByLabel(label);
        var z0 = Gaussian(1);
        var n = Gaussian(2);
        var result = new float[z0.Length];
        for (int i = 0; i < s.Timesteps.Count; i++)
        {
            double a = s.AlphasCumprod[s.Timesteps[i]];
            s.AddNoise(z0, n, i, result);
            var expected = new double[z0.Length];
            if (s is EulerAncestralScheduler)
            {
                // Sigma space: z0 + sigma n, and the UNet sees x / sqrt(sigma^2 + 1).
                for (int k = 0; k < z0.Length; k++) expected[k] = z0[k] + Sigma(a) * n[k];
                Assert.Equal(1 / Math.Sqrt(Sigma(a) * Sigma(a) + 1), s.ModelInputScale(i), 1e-6);
            }
            else
            {
                for (int k = 0; k < z0.Length; k++) expected[k] = Math.Sqrt(a) * z0[k] + Math.Sqrt(1 - a) * n[k];
                Assert.Equal(1f, s.ModelInputScale(i));
            }
            Assert.True(RelativeError(result, expected) < 1e-6, $"{label} step {i}");
        }
    }

    [Fact]
    public void StepUsesNoise_PerScheduler()
    {
        var ddim = new DdimScheduler(SdxlTurbo, 4);
        var euler = new EulerAncestralScheduler(SdxlTurbo, 4);
        var lcm = new LcmScheduler(LcmConfig, 4);
        Assert.False(ddim.IsStochastic);
        Assert.True(euler.IsStochastic);
        Assert.True(lcm.IsStochastic);
        Assert.Equal(new[] { false, false, false, false }, Enumerable.Range(0, 4).Select(ddim.StepUsesNoise));
        Assert.Equal(new[] { true, true, true, false }, Enumerable.Range(0, 4).Select(euler.StepUsesNoise));
        Assert.Equal(new[] { true, true, true, false }, Enumerable.Range(0, 4).Select(lcm.StepUsesNoise));
        Assert.Equal(0, euler.SigmaUp(3));
        Assert.True(euler.SigmaUp(0) > 0);
        Assert.Equal(euler.Sigmas[1] * euler.Sigmas[1] / euler.Sigmas[0], euler.SigmaDown(0), 1e-12);
    }

    [Fact]
    public void NoiselessSteps_IgnoreAnEmptyNoiseSpan()
    {
        var lcm = new LcmScheduler(LcmConfig, 4);
        var (x, e, n) = Inputs(lcm, 3);
        var withNoise = new float[x.Length];
        var without = new float[x.Length];
        lcm.Step(x, e, n, 3, withNoise);
        lcm.Step(x, e, default, 3, without);
        Assert.Equal(withNoise, without);
        Assert.Throws<ArgumentException>(() => lcm.Step(x, e, default, 0, without));
    }

    [Theory]
    [MemberData(nameof(Labels))]
    public void StepAndInverse_MayWorkInPlace(string label)
    {
        var s = ByLabel(label);
        int i = s.Timesteps.Count - 1;
        var (x, e, n) = Inputs(s, i);
        var separate = new float[x.Length];
        s.Step(x, e, n, i, separate);
        var buffer = x.ToArray();
        s.Step(buffer, e, n, i, buffer);
        Assert.Equal(separate, buffer);
        s.InverseStep(separate, e, n, i, separate);
        s.InverseStep(buffer, e, n, i, buffer);
        Assert.Equal(separate, buffer);
        Assert.Throws<ArgumentException>(() => s.Step(x, e, n, i, e));
    }

    [Fact]
    public void BadIndex_AndMismatchedLengths_Throw()
    {
        var s = new EulerAncestralScheduler(SdxlTurbo, 4);
        var x = new float[8];
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(x, x.ToArray(), x.ToArray(), 4, new float[8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.ModelInputScale(-1));
        Assert.Throws<ArgumentException>(() => s.Step(x, new float[7], x.ToArray(), 0, new float[8]));
        Assert.Throws<InvalidOperationException>(() => s.RequiredNoise(x, x.ToArray(), x.ToArray(), 3, new float[8]));
    }

    [Fact]
    public void HotMethods_AllocateNothing()
    {
        var schedulers = AllSchedulers().Select(s => s.Scheduler).ToArray();
        var x = Gaussian(1);
        var e = Gaussian(2);
        var n = Gaussian(3);
        var output = new float[x.Length];
        var scratch = new float[x.Length];

        void RunAll()
        {
            foreach (var s in schedulers)
                for (int i = 0; i < s.Timesteps.Count; i++)
                {
                    s.Step(x, e, n, i, output);
                    s.InverseStep(output, e, n, i, output);
                    s.AddNoise(x, n, i, output);
                    s.ToEpsilon(output, x, i);
                    _ = s.ModelInputScale(i);
                    if (s.StepUsesNoise(i))
                    {
                        s.RequiredNoise(x, e, output, i, scratch);
                        NoiseCorrection.Apply(NoiseCorrectionMode.Reference, s, i, x, e, output, n, scratch);
                        NoiseCorrection.Apply(NoiseCorrectionMode.Exact, s, i, x, e, output, n, scratch);
                    }
                }
        }

        RunAll(); // JIT and tiering out of the way
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
