using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

/// <summary>The SDXL layout on tiny-sdxl-turbo: two tokenizers and encoders, pooled embeddings, time_ids, zeros for the empty prompt.</summary>
public class SdxlModelTests
{
    private const string Sdxl = "tiny-sdxl-turbo";
    private const string AstronautPrompt = "a photo of an astronaut riding a horse";
    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1 };
    private static readonly LatentShape Latent = new(4, 16, 16);

    private static float[] Reference(string file) => TestNpy.ReadFloats(FixturePaths.Reference(Sdxl, file));

    [Fact]
    public void TheFolderIsSdxlTurboWithItsOwnScalingFactor()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(Sdxl), Cpu);

        Assert.Equal(ModelFamily.Sdxl, model.Family);
        Assert.Equal(ModelVariant.SdxlTurbo, model.Variant);
        Assert.Equal(0.13025f, model.ScalingFactor);
        Assert.Equal(2, model.PromptEncoders.Count);
        Assert.True(model.ZeroesEmptyPrompt);
    }

    [Fact]
    public void EachTokenizerGivesItsReferenceIds()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(Sdxl), Cpu);
        var ids1 = TestNpy.ReadLongs(FixturePaths.Reference(Sdxl, "text_encoder_input_ids.npy")).Select(v => (int)v).ToArray();
        var ids2 = TestNpy.ReadLongs(FixturePaths.Reference(Sdxl, "text_encoder_2_input_ids.npy")).Select(v => (int)v).ToArray();

        Assert.Equal(ids1[..77], model.PromptEncoders[0].Tokenizer.Encode(AstronautPrompt).Ids);
        Assert.Equal(ids2[..77], model.PromptEncoders[1].Tokenizer.Encode(AstronautPrompt).Ids);
        // The pads differ (<|endoftext|> vs "!"), so the two id rows of the empty prompt do too.
        Assert.NotEqual(ids1[77..], ids2[77..]);
        Assert.Equal(ids2[77..], model.PromptEncoders[1].Tokenizer.Encode("").Ids);
    }

    [Fact]
    public void PromptEmbeddingsAreThePenultimateHiddenStatesOfBothEncodersConcatenated()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(Sdxl), Cpu);
        var expected = Reference("prompt_embeds.npy");           // [2, 77, 72]
        var pooled = Reference("pooled_prompt_embeds.npy");      // [2, 48]

        var prompt = model.EncodePrompt(AstronautPrompt);
        var empty = model.EncodePrompt("");

        Assert.Equal((77, 72), (prompt.SequenceLength, prompt.HiddenSize));
        Close.Assert(expected.AsSpan(0, 77 * 72), prompt.HiddenStates, 1e-4, "prompt_embeds[0]");
        Close.Assert(expected.AsSpan(77 * 72), empty.HiddenStates, 1e-4, "prompt_embeds[1] (empty prompt, encoded)");
        Assert.NotNull(prompt.Pooled);
        Close.Assert(pooled.AsSpan(0, 48), prompt.Pooled, 1e-4, "text_embeds of encoder 2");
        Close.Assert(pooled.AsSpan(48), empty.Pooled, 1e-4, "text_embeds of encoder 2 (empty prompt)");

        // The fixture's layers differ by >= 42 %, so matching prompt_embeds rules out the last layer
        // and the final layer norm; checked here so the comparison above cannot pass by accident.
        var last = Concat(Reference("text_encoder_last_hidden_state.npy").AsSpan(0, 77 * 32), 32,
            Reference("text_encoder_2_last_hidden_state.npy").AsSpan(0, 77 * 40), 40);
        var finalLayer = Concat(Reference("text_encoder_hidden_states.2.npy").AsSpan(0, 77 * 32), 32,
            Reference("text_encoder_2_hidden_states.2.npy").AsSpan(0, 77 * 40), 40);
        Assert.True(RelativeDifference(last, prompt.HiddenStates) > 0.3);
        Assert.True(RelativeDifference(finalLayer, prompt.HiddenStates) > 0.3);
    }

    [Fact]
    public void TheTextEncodersExposeTheirHiddenStatesInLayerOrder()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(Sdxl), Cpu);
        foreach (var pair in model.PromptEncoders)
        {
            Assert.Equal(["hidden_states.0", "hidden_states.1", "hidden_states.2"], pair.Encoder.HiddenStatesOutputs.Select(o => o.Name));
            Assert.Equal("hidden_states.1", pair.Encoder.PenultimateHiddenStateOutput!.Name);
        }
        Assert.Equal("text_embeds", model.PromptEncoders[1].Encoder.PooledOutput!.Name);
    }

    [Fact]
    public void TheUnconditionalEmbeddingIsZerosWhenForceZerosIsSet()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(Sdxl), Cpu);
        var zeros = model.EncodeUnconditional();

        Assert.Equal((77, 72), (zeros.SequenceLength, zeros.HiddenSize));
        Assert.All(zeros.HiddenStates, v => Assert.Equal(0f, v));
        Assert.NotNull(zeros.Pooled);
        Assert.Equal(48, zeros.Pooled.Length);
        Assert.All(zeros.Pooled, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void WithoutForceZerosTheUnconditionalEmbeddingIsTheEncodedEmptyPrompt()
    {
        using var copy = new TempModelCopy(Sdxl);
        var index = copy.PathOf("model_index.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace("\"force_zeros_for_empty_prompt\": true", "\"force_zeros_for_empty_prompt\": false"));
        using var model = DiffusionModel.Load(copy.Root, Cpu);

        Assert.False(model.ZeroesEmptyPrompt);
        var unconditional = model.EncodeUnconditional();
        Close.Assert(Reference("prompt_embeds.npy").AsSpan(77 * 72), unconditional.HiddenStates, 1e-4, "encoded empty prompt");
        Close.Assert(Reference("pooled_prompt_embeds.npy").AsSpan(48), unconditional.Pooled, 1e-4, "pooled empty prompt");
    }

    [Fact]
    public void TheUNetIsFedTextEmbedsAndTimeIdsAndMatchesTorch()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(Sdxl), Cpu);
        var samples = Reference("unet_sample.npy");
        var hidden = Reference("unet_encoder_hidden_states.npy");
        var textEmbeds = Reference("unet_text_embeds.npy");
        var timeIds = Reference("unet_time_ids.npy");
        var timesteps = TestNpy.ReadLongs(FixturePaths.Reference(Sdxl, "unet_timestep.npy"));
        var expected = Reference("unet_out_sample.npy");
        var unet = model.UNet;

        Assert.NotNull(unet.TextEmbedsInput);
        Assert.NotNull(unet.TimeIdsInput);
        Assert.Null(unet.TimestepCondInput);
        // The reference time_ids are those of its 128 x 128 image, which a 16 x 16 latent decodes to.
        Assert.Equal(timeIds[..6], UNet.TimeIds(Latent.Height * model.VaeScaleFactor, Latent.Width * model.VaeScaleFactor));

        PromptEmbeddings[] conditioning =
        [
            new(hidden[..(77 * 72)], 77, 72, textEmbeds[..48]),
            new(hidden[(77 * 72)..], 77, 72, textEmbeds[48..]),
        ];
        var output = new float[samples.Length];
        for (var row = 0; row < 2; row++)
        {
            unet.Predict(samples, Latent, (int)timesteps[row], conditioning, output);
            Close.Assert(expected.AsSpan(row * Latent.Length, Latent.Length), output.AsSpan(row * Latent.Length, Latent.Length),
                1e-4, $"out_sample[{row}] at t={timesteps[row]}");
        }
    }

    [Fact]
    public void APromptWithoutPooledEmbeddingsIsRefusedBySdxlsUNet()
    {
        using var model = DiffusionModel.Load(FixturePaths.Model(Sdxl), Cpu);
        var samples = new float[Latent.Length];
        var e = Assert.Throws<ReNoiseInputException>(() =>
            model.UNet.Predict(samples, Latent, 499, [new PromptEmbeddings(new float[77 * 72], 77, 72)], new float[Latent.Length]));
        Assert.Contains("'text_embeds'", e.Message);
        ModelFolderTests.AssertOneLine(e.Message);
    }

    [Fact]
    public void AnExportWithoutHiddenStatesIsRefusedWithAClearMessage()
    {
        // tiny-sd-turbo's encoder has only last_hidden_state and pooler_output, as a non-SDXL export would.
        var folder = ModelFolder.Open(FixturePaths.Model("tiny-sd-turbo"));
        using var encoder = new TextEncoder(OnnxSession.Open(folder.TextEncoders[0].TextEncoderPath, Cpu));

        Assert.Empty(encoder.HiddenStatesOutputs);
        var e = Assert.Throws<ReNoiseInputException>(() => encoder.EncodePenultimate(new int[77]));
        Assert.StartsWith(folder.TextEncoders[0].TextEncoderPath, e.Message);
        Assert.Contains("no hidden_states.N outputs", e.Message);
        ModelFolderTests.AssertOneLine(e.Message);
    }

    private static float[] Concat(ReadOnlySpan<float> a, int widthA, ReadOnlySpan<float> b, int widthB)
    {
        var tokens = a.Length / widthA;
        var result = new float[tokens * (widthA + widthB)];
        for (var t = 0; t < tokens; t++)
        {
            a.Slice(t * widthA, widthA).CopyTo(result.AsSpan(t * (widthA + widthB)));
            b.Slice(t * widthB, widthB).CopyTo(result.AsSpan(t * (widthA + widthB) + widthA));
        }
        return result;
    }

    internal static double RelativeDifference(ReadOnlySpan<float> reference, ReadOnlySpan<float> actual)
    {
        double diff = 0, norm = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            diff += (reference[i] - actual[i]) * (double)(reference[i] - actual[i]);
            norm += reference[i] * (double)reference[i];
        }
        return Math.Sqrt(diff / norm);
    }
}
