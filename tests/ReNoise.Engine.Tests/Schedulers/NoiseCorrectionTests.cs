using ReNoise.Engine.Schedulers;
using static ReNoise.Engine.Tests.Schedulers.SchedulerTestData;

namespace ReNoise.Engine.Tests.Schedulers;

public class NoiseCorrectionTests
{
    public static IEnumerable<object[]> StochasticLabels() =>
        AllSchedulers().Where(s => s.Scheduler.IsStochastic).Select(s => new object[] { s.Label });

    /// <summary>
    /// An inversion step's situation: xNext = z_t (known), x = z_{t+1} (the inverted latent), e* the
    /// prediction at x. xNext is produced by a different eps and noise, so the stored map is wrong.
    /// </summary>
    private static (float[] X, float[] EStar, float[] XNext, float[] Stored) Situation(IScheduler s, int i)
    {
        var x = new float[LatentLength];
        s.AddNoise(Gaussian(40 + i), Gaussian(41 + i), i, x);
        var eStar = Gaussian(42 + i);
        var xNext = new float[LatentLength];
        s.Step(x, Gaussian(43 + i), Gaussian(44 + i), i, xNext);
        return (x, eStar, xNext, Gaussian(45 + i));
    }

    [Theory]
    [MemberData(nameof(StochasticLabels))]
    public void Exact_MakesTheForwardStepLandOnXNext(string label)
    {
        var s = ByLabel(label);
        int corrected = 0;
        for (int i = 0; i < s.Timesteps.Count; i++)
        {
            if (!s.StepUsesNoise(i)) continue;
            var (x, eStar, xNext, noise) = Situation(s, i);
            var landed = new float[x.Length];
            s.Step(x, eStar, noise, i, landed);
            Assert.True(RelativeError(landed, xNext) > 1e-2, "the uncorrected map must miss");

            Assert.True(NoiseCorrection.Apply(NoiseCorrectionMode.Exact, s, i, x, eStar, xNext, noise, new float[x.Length]));
            s.Step(x, eStar, noise, i, landed);
            double error = RelativeError(landed, xNext);
            Assert.True(error < 1e-5, $"{label} step {i}: relative error {error}");
            corrected++;
        }
        Assert.Equal(s.Timesteps.Count - 1, corrected);
    }

    [Theory]
    [MemberData(nameof(StochasticLabels))]
    public void RequiredNoise_MatchesTheSpecFormula(string label)
    {
        var s = ByLabel(label);
        var a = s.AlphasCumprod;
        for (int i = 0; i < s.Timesteps.Count; i++)
        {
            if (!s.StepUsesNoise(i)) continue;
            var (x, eStar, xNext, _) = Situation(s, i);
            var expected = new double[x.Length];
            if (s is EulerAncestralScheduler euler)
            {
                // n_req = (z_t - (z_{t+1} + e* (s_down - s_from))) / s_up
                double from = euler.Sigmas[i], to = euler.Sigmas[i + 1];
                double up = Math.Sqrt(to * to * (from * from - to * to) / (from * from));
                double down = to * to / from;
                for (int k = 0; k < x.Length; k++) expected[k] = (xNext[k] - (x[k] + eStar[k] * (down - from))) / up;
            }
            else
            {
                // n_req = (z_t - sqrt(a_p) den(z_{t+1}, e*)) / sqrt(b_p)
                int t = s.Timesteps[i];
                double aT = a[t], aP = a[s.Timesteps[i + 1]], scaled = t * 10.0;
                double cSkip = 0.25 / (scaled * scaled + 0.25), cOut = scaled / Math.Sqrt(scaled * scaled + 0.25);
                for (int k = 0; k < x.Length; k++)
                {
                    double den = cOut * (x[k] - Math.Sqrt(1 - aT) * eStar[k]) / Math.Sqrt(aT) + cSkip * x[k];
                    expected[k] = (xNext[k] - Math.Sqrt(aP) * den) / Math.Sqrt(1 - aP);
                }
            }
            var required = new float[x.Length];
            s.RequiredNoise(x, eStar, xNext, i, required);
            Assert.True(RelativeError(required, expected) < 1e-5, $"{label} step {i}");
        }
    }

    [Fact]
    public void Reference_FollowsTheDocumentedUpdateRule()
    {
        var s = new EulerAncestralScheduler(SdxlTurbo, 4);
        const int i = 1;
        var (x, eStar, xNext, noise) = Situation(s, i);
        var required = new float[x.Length];
        s.RequiredNoise(x, eStar, xNext, i, required);

        // By hand, in double: n <- n - 1.8 (n - n_req) / ||n - n_req||, ten times.
        var expected = noise.Select(v => (double)v).ToArray();
        for (int iteration = 0; iteration < 10; iteration++)
        {
            double norm = Math.Sqrt(expected.Select((v, k) => (v - required[k]) * (v - required[k])).Sum());
            for (int k = 0; k < expected.Length; k++) expected[k] -= 1.8 * (expected[k] - required[k]) / norm;
        }

        double before = Distance(noise, required);
        var scratch = new float[x.Length];
        Assert.True(NoiseCorrection.Apply(NoiseCorrectionMode.Reference, s, i, x, eStar, xNext, noise, scratch));
        Assert.True(RelativeError(noise, expected) < 1e-5);
        Assert.True(Distance(noise, required) < before, "moves towards n_req");
        Assert.Equal(10, NoiseCorrection.ReferenceIterations);
        Assert.Equal(1.8, NoiseCorrection.ReferenceStepSize);
    }

    [Fact]
    public void MoveTowards_FarMap_Ends18CloserOnTheSameLine()
    {
        var target = Gaussian(1);
        var direction = Gaussian(2);
        double length = Math.Sqrt(direction.Sum(v => (double)v * v));
        var noise = new float[target.Length];
        for (int k = 0; k < noise.Length; k++) noise[k] = (float)(target[k] + 30.0 * direction[k] / length);

        NoiseCorrection.MoveTowards(noise, target);

        // Each of the 10 steps moves 1.8 along the unit direction: 30 -> 12, no overshoot.
        var expected = new double[noise.Length];
        for (int k = 0; k < noise.Length; k++) expected[k] = target[k] + 12.0 * direction[k] / length;
        Assert.Equal(12.0, Distance(noise, target), 1e-4);
        Assert.True(RelativeError(noise, expected) < 1e-5);
    }

    [Fact]
    public void MoveTowards_AtTheTarget_LeavesTheMapAlone()
    {
        var target = Gaussian(3);
        var noise = target.ToArray();
        NoiseCorrection.MoveTowards(noise, target);
        Assert.Equal(target, noise);
    }

    [Fact]
    public void Off_AndNoiselessSteps_LeaveTheMapUntouched()
    {
        var euler = new EulerAncestralScheduler(SdxlTurbo, 4);
        var (x, eStar, xNext, noise) = Situation(euler, 0);
        var original = noise.ToArray();
        var scratch = new float[x.Length];
        Assert.False(NoiseCorrection.Apply(NoiseCorrectionMode.Off, euler, 0, x, eStar, xNext, noise, scratch));
        Assert.False(NoiseCorrection.Apply(NoiseCorrectionMode.Exact, euler, 3, x, eStar, xNext, noise, scratch));
        var lcm = new LcmScheduler(LcmConfig, 4);
        Assert.False(NoiseCorrection.Apply(NoiseCorrectionMode.Reference, lcm, 3, x, eStar, xNext, noise, scratch));
        var ddim = new DdimScheduler(SdxlTurbo, 4);
        Assert.False(NoiseCorrection.Apply(NoiseCorrectionMode.Exact, ddim, 0, x, eStar, xNext, noise, scratch));
        Assert.Equal(original, noise);
    }

    [Fact]
    public void Reference_NeedsScratchAsLongAsTheMap()
    {
        var euler = new EulerAncestralScheduler(SdxlTurbo, 4);
        var (x, eStar, xNext, noise) = Situation(euler, 0);
        Assert.Throws<ArgumentException>(() =>
            NoiseCorrection.Apply(NoiseCorrectionMode.Reference, euler, 0, x, eStar, xNext, noise, new float[10]));
    }
}
