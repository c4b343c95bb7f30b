using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

/// <summary>
/// The UNet's cached OrtIoBindings: no managed allocation per call, and embeddings written only
/// when a batch slot gets another <see cref="PromptEmbeddings"/> instance, with results equal bit
/// for bit to a new UNet (nothing cached) per call.
/// </summary>
public class UNetBindingTests
{
    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1 };
    private static readonly LatentShape Latent = new(4, 8, 12);

    /// <summary>float32, float16 (converted at the boundary), SDXL (text_embeds, time_ids), LCM (timestep_cond).</summary>
    public static TheoryData<string, bool> VariantsAndBindingModes
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var variant in new[] { "tiny-sd-turbo", "tiny-sd-fp16", "tiny-sdxl-turbo", "tiny-lcm" })
            {
                data.Add(variant, false);
                data.Add(variant, true);
            }
            return data;
        }
    }

    /// <summary>A UNet of the fixture; <paramref name="rebind"/> takes the path of providers that copy inputs at bind time.</summary>
    private static UNet OpenUNet(string variant, bool rebind = false)
    {
        var folder = ModelFolder.Open(FixturePaths.Model(variant));
        var session = OnnxSession.Open(folder.UNetPath, Cpu);
        session.ReadsBoundInputsInPlace = !rebind;
        return new UNet(session, folder.VaeScaleFactor, folder.TimeCondProjDim);
    }

    private static UNet OpenBatchOne(bool rebind = false)
    {
        var session = OnnxSession.Open(FixturePaths.TestData("unet-batch1.onnx"), Cpu);
        session.ReadsBoundInputsInPlace = !rebind;
        return new UNet(session);
    }

    /// <summary>Three prompts of the fixture: the unconditional one and two others.</summary>
    private static PromptEmbeddings[] Prompts(string variant)
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(variant), Cpu);
        return [model.EncodeUnconditional(), model.EncodePrompt("a cup of coffee"), model.EncodePrompt("a red bicycle")];
    }

    private static PromptEmbeddings[] RandomPrompts(int count, int seed)
    {
        var random = new SeededRandom(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var hidden = new float[77 * 32];
            random.FillGaussian(hidden);
            return new PromptEmbeddings(hidden, 77, 32);
        }).ToArray();
    }

    private static float[] Samples(int batch, int seed)
    {
        var samples = new float[batch * Latent.Length];
        new SeededRandom(seed).FillGaussian(samples);
        return samples;
    }

    /// <summary>
    /// Runs <paramref name="calls"/> (batch conditioning, timestep) on <paramref name="tested"/> and each
    /// on a new UNet from <paramref name="openReference"/>, and requires equal bits every time.
    /// </summary>
    private static void AssertSameAsUncached(UNet tested, Func<UNet> openReference, (PromptEmbeddings[] Conditioning, int Timestep)[] calls)
    {
        for (var i = 0; i < calls.Length; i++)
        {
            var (conditioning, timestep) = calls[i];
            var samples = Samples(conditioning.Length, seed: i);
            var expected = new float[samples.Length];
            var actual = new float[samples.Length];

            using (var reference = openReference()) reference.Predict(samples, Latent, timestep, conditioning, expected);
            tested.Predict(samples, Latent, timestep, conditioning, actual);

            Assert.True(expected.AsSpan().SequenceEqual(actual), $"call {i}: output differs from a new UNet's");
        }
    }

    [Theory]
    [MemberData(nameof(VariantsAndBindingModes))]
    public void ResultsEqualAnUncachedUNetsWhetherTheConditioningChangesOrNot(string variant, bool rebind)
    {
        using var tested = OpenUNet(variant, rebind);
        var prompts = Prompts(variant);
        var (u, p, q) = (prompts[0], prompts[1], prompts[2]);
        Assert.False(p.HiddenStates.AsSpan().SequenceEqual(q.HiddenStates));

        AssertSameAsUncached(tested, () => OpenUNet(variant),
        [
            ([u, p], 999),
            ([u, p], 749),          // unchanged: nothing rewritten
            ([p, u], 749),          // both slots change
            ([u, q], 499),          // slot 0 changes back, slot 1 gets a new prompt
            ([q], 499),             // batch 1: another cached binding
            ([u, q], 249),          // batch 2 again: its slots still hold u, q
            ([u, p, u, q], 249),    // a guided pair
            ([u, p, u, p], 1),
            ([u, p], 1),
        ]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFixedBatchOneModelKeepsEachElementsEmbeddingsInItsOwnBinding(bool rebind)
    {
        using var tested = OpenBatchOne(rebind);
        Assert.True(tested.RunsElementByElement);
        var prompts = RandomPrompts(3, seed: 11);
        var (a, b, c) = (prompts[0], prompts[1], prompts[2]);

        AssertSameAsUncached(tested, () => OpenBatchOne(),
        [
            ([a, b], 999),
            ([a, b], 500),          // both elements unchanged
            ([b, a], 500),
            ([b, a, c], 300),       // a third element gets a third binding
            ([c], 300),
            ([a, a, c], 2),
        ]);
    }

    [Fact]
    public void AnInstanceAlreadyInItsSlotIsNotWrittenAgain()
    {
        using var unet = OpenUNet("tiny-sd-turbo");
        var prompts = RandomPrompts(2, seed: 3);
        var (p, q) = (prompts[0], prompts[1]);
        var samples = Samples(1, seed: 5);
        var first = new float[Latent.Length];
        var again = new float[Latent.Length];
        var asQ = new float[Latent.Length];
        var rewrapped = new float[Latent.Length];
        unet.Predict(samples, Latent, 499, [q], asQ);
        unet.Predict(samples, Latent, 499, [p], first);

        // Breaking PromptEmbeddings' immutability shows the skip: the slot still holds p's old values.
        q.HiddenStates.CopyTo(p.HiddenStates, 0);
        unet.Predict(samples, Latent, 499, [p], again);
        // Another instance over the same array is a change, so it is written.
        unet.Predict(samples, Latent, 499, [new PromptEmbeddings(p.HiddenStates, p.SequenceLength, p.HiddenSize)], rewrapped);

        Assert.Equal(first, again);
        Assert.Equal(asQ, rewrapped);
        Assert.NotEqual(first, asQ);
    }

    [Theory]
    [InlineData("tiny-sd-turbo")]
    [InlineData("tiny-sd-fp16")]
    [InlineData("tiny-sdxl-turbo")]
    [InlineData("tiny-lcm")]
    [InlineData("batch-one")]
    public void RepeatedPredictCallsAllocateNothingAfterWarmUp(string variant)
    {
        using var unet = variant == "batch-one" ? OpenBatchOne() : OpenUNet(variant);
        var prompts = variant == "batch-one" ? RandomPrompts(3, seed: 1) : Prompts(variant);
        var (u, p, q) = (prompts[0], prompts[1], prompts[2]);
        var lcm = unet.WithGuidanceScale(4.0);
        PromptEmbeddings[] guided = [u, p], swapped = [p, u], single = [q], pair = [u, p, u, q];
        var samples = Samples(4, seed: 2);
        var output = new float[samples.Length];

        void Calls(int repeat)
        {
            for (var i = 0; i < repeat; i++)
            {
                unet.Predict(samples.AsSpan(0, 2 * Latent.Length), Latent, 999 - i, guided, output.AsSpan(0, 2 * Latent.Length));
                unet.Predict(samples.AsSpan(0, 2 * Latent.Length), Latent, 999 - i, swapped, output.AsSpan(0, 2 * Latent.Length));
                unet.Predict(samples.AsSpan(0, Latent.Length), Latent, 499, single, output.AsSpan(0, Latent.Length));
                unet.Predict(samples, Latent, 249, pair, output);
                lcm.Predict(samples.AsSpan(0, 2 * Latent.Length), Latent, 1, guided, output.AsSpan(0, 2 * Latent.Length));
            }
        }

        Calls(2);   // warm-up: creates the bindings of batch 1, 2 and 4 and JIT-compiles the path
        // Rounds of 5 x 5 calls. The runtime's tiered compilation now and then allocates on the thread
        // whose call starts a tiering delay or promotion (a timer, a worker): never with
        // DOTNET_TieredCompilation=0, and at most once per test otherwise. So one round may show
        // that; an allocation of the UNet's own would show in every round.
        var rounds = new long[6];
        for (var r = 0; r < rounds.Length; r++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Calls(5);
            rounds[r] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(rounds.Count(bytes => bytes != 0) <= 1, $"bytes allocated per round of 25 calls: {string.Join(", ", rounds)}");
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
    }
}
