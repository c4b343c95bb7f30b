using ReNoise.Engine.Models;
using ReNoise.Engine.Tensors;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

/// <summary>Each ONNX component against the torch outputs the fixture generator recorded (reference/*.npy).</summary>
public class ComponentReferenceTests
{
    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1 };
    private static readonly LatentShape Latent = new(4, 16, 16);

    public static TheoryData<string> Variants => ["tiny-sd-turbo", "tiny-sd15-ddim", "tiny-sd-fp16", "tiny-sd21-vpred"];

    private static double Tolerance(string variant) => variant == "tiny-sd-fp16" ? 1e-2 : 1e-4;

    [Theory]
    [MemberData(nameof(Variants))]
    public void TextEncoderMatchesTorch(string variant)
    {
        var folder = ModelFolder.Open(FixturePaths.Model(variant));
        using var encoder = new TextEncoder(OnnxSession.Open(folder.TextEncoders[0].TextEncoderPath, Cpu));
        var ids = TestNpy.ReadLongs(FixturePaths.Reference(variant, "text_encoder_input_ids.npy"));
        var hidden = TestNpy.ReadFloats(FixturePaths.Reference(variant, "text_encoder_last_hidden_state.npy"));
        var pooled = TestNpy.ReadFloats(FixturePaths.Reference(variant, "text_encoder_pooler_output.npy"));

        for (var row = 0; row < 2; row++)
        {
            var rowIds = ids.Skip(row * 77).Take(77).Select(v => (int)v).ToArray();
            var embeddings = encoder.Encode(rowIds, truncated: row == 0);

            Assert.Equal(77, embeddings.SequenceLength);
            Assert.Equal(32, embeddings.HiddenSize);
            Assert.Equal(row == 0, embeddings.Truncated);
            Close.Assert(hidden.AsSpan(row * 77 * 32, 77 * 32), embeddings.HiddenStates, Tolerance(variant), $"{variant} last_hidden_state[{row}]");
            Assert.NotNull(embeddings.Pooled);
            Close.Assert(pooled.AsSpan(row * 32, 32), embeddings.Pooled, Tolerance(variant), $"{variant} pooler_output[{row}]");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void UNetBatchOfTwoMatchesTorch(string variant)
    {
        var folder = ModelFolder.Open(FixturePaths.Model(variant));
        using var unet = new UNet(OnnxSession.Open(folder.UNetPath, Cpu));
        var (samples, conditioning, timesteps, expected) = UNetReference(variant);

        // The reference evaluates element b at timesteps[b]; one Predict call uses one timestep for the
        // whole batch, so the batch of two runs once per reference timestep and the matching row is compared.
        var output = new float[samples.Length];
        for (var row = 0; row < 2; row++)
        {
            unet.Predict(samples, Latent, timesteps[row], conditioning, output);
            Close.Assert(expected.AsSpan(row * Latent.Length, Latent.Length), output.AsSpan(row * Latent.Length, Latent.Length),
                Tolerance(variant), $"{variant} out_sample[{row}] at t={timesteps[row]}");
        }
    }

    [Fact]
    public void UNetBatchElementsAreIndependentAndConditionedEachOnItsOwnPrompt()
    {
        var folder = ModelFolder.Open(FixturePaths.Model("tiny-sd-turbo"));
        using var unet = new UNet(OnnxSession.Open(folder.UNetPath, Cpu));
        using var encoder = new TextEncoder(OnnxSession.Open(folder.TextEncoders[0].TextEncoderPath, Cpu));
        var ids = TestNpy.ReadLongs(FixturePaths.Reference("tiny-sd-turbo", "text_encoder_input_ids.npy")).Select(v => (int)v).ToArray();
        var prompt = encoder.Encode(ids.AsSpan(0, 77));
        var empty = encoder.Encode(ids.AsSpan(77, 77));
        var (samples, _, _, _) = UNetReference("tiny-sd-turbo");

        var batched = new float[samples.Length];
        unet.Predict(samples, Latent, 499, [prompt, empty], batched);
        var single = new float[Latent.Length];
        unet.Predict(samples.AsSpan(0, Latent.Length), Latent, 499, [prompt], single);
        Close.Assert(single, batched.AsSpan(0, Latent.Length), 1e-5, "element 0 alone vs in the batch");
        unet.Predict(samples.AsSpan(Latent.Length), Latent, 499, [empty], single);
        Close.Assert(single, batched.AsSpan(Latent.Length), 1e-5, "element 1 alone vs in the batch");

        // Same latent, other prompt: the conditioning of element b really is conditioning[b].
        var swapped = new float[Latent.Length];
        unet.Predict(samples.AsSpan(0, Latent.Length), Latent, 499, [empty], swapped);
        Assert.True(MaxAbsDifference(swapped, batched.AsSpan(0, Latent.Length)) > 1e-3);
    }

    [Fact]
    public void RepeatedCallsAtTheSameBatchSizeReuseTheirBuffersAndStayCorrect()
    {
        var folder = ModelFolder.Open(FixturePaths.Model("tiny-sd-fp16"));
        using var unet = new UNet(OnnxSession.Open(folder.UNetPath, Cpu));
        var (samples, conditioning, timesteps, expected) = UNetReference("tiny-sd-fp16");
        var output = new float[samples.Length];

        unet.Predict(samples, Latent, timesteps[0], conditioning, output);
        unet.Predict(samples.AsSpan(0, Latent.Length), Latent, timesteps[1], conditioning[..1], output.AsSpan(0, Latent.Length));
        var before = GC.GetAllocatedBytesForCurrentThread();
        unet.Predict(samples, Latent, timesteps[0], conditioning, output);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Close.Assert(expected.AsSpan(0, Latent.Length), output.AsSpan(0, Latent.Length), 1e-2, "out_sample[0] after buffer reuse");
        // No managed tensor per call: far less than one latent batch (2 x 1024 floats = 8 KiB).
        Assert.True(allocated < 4096, $"a repeated Predict allocated {allocated} bytes");
    }

    [Fact]
    public void FixedBatchOneModelRunsABatchElementByElement()
    {
        using var unet = new UNet(OnnxSession.Open(FixturePaths.TestData("unet-batch1.onnx"), Cpu));
        var (samples, conditioning, timesteps, expected) = UNetReference("tiny-sd-turbo");
        Assert.True(unet.RunsElementByElement);

        var output = new float[samples.Length];
        unet.Predict(samples, Latent, timesteps[0], conditioning, output);
        Close.Assert(expected.AsSpan(0, Latent.Length), output.AsSpan(0, Latent.Length), 1e-4, "out_sample[0]");
        unet.Predict(samples, Latent, timesteps[1], conditioning, output);
        Close.Assert(expected.AsSpan(Latent.Length), output.AsSpan(Latent.Length), 1e-4, "out_sample[1]");
    }

    [Fact]
    public void UNetWithAnUnknownRequiredInputIsRefusedNamingIt()
    {
        var path = FixturePaths.TestData("unet-extra-input.onnx");
        var e = Assert.Throws<ReNoiseInputException>(() => new UNet(OnnxSession.Open(path, Cpu)));
        Assert.Contains("'class_labels'", e.Message);
        Assert.Contains("is not supported", e.Message);
        Assert.StartsWith(path, e.Message);
        ModelFolderTests.AssertOneLine(e.Message);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void VaeEncoderGivesTheScaledMeanOfTorchsLatent(string variant)
    {
        var folder = ModelFolder.Open(FixturePaths.Model(variant));
        using var encoder = new VaeEncoder(OnnxSession.Open(folder.VaeEncoderPath, Cpu), folder.ScalingFactor);
        var pixels = TestNpy.ReadFloats(FixturePaths.Reference(variant, "vae_encoder_sample.npy"));
        var parameters = variant == "tiny-sd15-ddim";
        var reference = TestNpy.ReadFloats(FixturePaths.Reference(variant,
            parameters ? "vae_encoder_latent_parameters.npy" : "vae_encoder_latent_sample.npy"));
        Assert.Equal(parameters ? 8 * 256 : 4 * 256, reference.Length);

        var (latent, shape) = encoder.Encode(pixels, 128, 128);

        Assert.Equal(Latent, shape);
        var expected = reference.Take(Latent.Length).Select(v => v * folder.ScalingFactor).ToArray();   // mean channels only
        Close.Assert(expected, latent, Tolerance(variant), $"{variant} scaled latent");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void VaeDecoderUndoesTheScalingAndMatchesTorchUnclamped(string variant)
    {
        var folder = ModelFolder.Open(FixturePaths.Model(variant));
        using var decoder = new VaeDecoder(OnnxSession.Open(folder.VaeDecoderPath, Cpu), folder.ScalingFactor);
        var unscaled = TestNpy.ReadFloats(FixturePaths.Reference(variant, "vae_decoder_latent_sample.npy"));
        var expected = TestNpy.ReadFloats(FixturePaths.Reference(variant, "vae_decoder_sample.npy"));
        var scaled = unscaled.Select(v => v * folder.ScalingFactor).ToArray();

        var (pixels, shape) = decoder.Decode(scaled, Latent);

        Assert.Equal(new LatentShape(3, 128, 128), shape);
        Close.Assert(expected, pixels, Tolerance(variant), $"{variant} decoded pixels");
        if (expected.Any(v => Math.Abs(v) > 1f))
            Assert.Contains(pixels, v => Math.Abs(v) > 1f);   // the caller clamps, not the decoder
    }

    [Fact]
    public void Float16AndFloat32VariantsAgree()
    {
        var fp32 = ModelFolder.Open(FixturePaths.Model("tiny-sd-turbo"));
        var fp16 = ModelFolder.Open(FixturePaths.Model("tiny-sd-fp16"));
        var (samples, conditioning, _, _) = UNetReference("tiny-sd-fp16");
        var pixels = TestNpy.ReadFloats(FixturePaths.Reference("tiny-sd-fp16", "vae_encoder_sample.npy"));

        float[] RunUNet(ModelFolder folder)
        {
            using var unet = new UNet(OnnxSession.Open(folder.UNetPath, Cpu));
            var output = new float[samples.Length];
            unet.Predict(samples, Latent, 499, conditioning, output);
            return output;
        }

        (float[] Latent, float[] Pixels) RunVae(ModelFolder folder)
        {
            using var encoder = new VaeEncoder(OnnxSession.Open(folder.VaeEncoderPath, Cpu), folder.ScalingFactor);
            using var decoder = new VaeDecoder(OnnxSession.Open(folder.VaeDecoderPath, Cpu), folder.ScalingFactor);
            var (latent, shape) = encoder.Encode(pixels, 128, 128);
            return (latent, decoder.Decode(latent, shape).Pixels);
        }

        Close.Assert(RunUNet(fp32), RunUNet(fp16), 1e-2, "UNet fp16 vs fp32");
        var (latent32, pixels32) = RunVae(fp32);
        var (latent16, pixels16) = RunVae(fp16);
        Close.Assert(latent32, latent16, 1e-2, "VAE latent fp16 vs fp32");
        Close.Assert(pixels32, pixels16, 1e-2, "VAE round trip fp16 vs fp32");
    }

    [Fact]
    public void ImageSizeNotMatchingThePixelsIsAnArgumentError()
    {
        var folder = ModelFolder.Open(FixturePaths.Model("tiny-sd-turbo"));
        using var encoder = new VaeEncoder(OnnxSession.Open(folder.VaeEncoderPath, Cpu), folder.ScalingFactor);
        Assert.Throws<ArgumentException>(() => encoder.Encode(new float[3 * 64 * 64], 128, 128));
    }

    private static (float[] Samples, PromptEmbeddings[] Conditioning, int[] Timesteps, float[] Expected) UNetReference(string variant)
    {
        var samples = TestNpy.ReadFloats(FixturePaths.Reference(variant, "unet_sample.npy"));
        var hidden = TestNpy.ReadFloats(FixturePaths.Reference(variant, "unet_encoder_hidden_states.npy"));
        var expected = TestNpy.ReadFloats(FixturePaths.Reference(variant, "unet_out_sample.npy"));
        var timestepFile = TestNpy.Read(FixturePaths.Reference(variant, "unet_timestep.npy"));
        // A scalar timestep (rank 0) applies to both elements.
        var timesteps = timestepFile.Longs?.Select(t => (int)t).ToArray()
                        ?? timestepFile.Floats!.Select(t => (int)t).ToArray();
        if (timesteps.Length == 1) timesteps = [timesteps[0], timesteps[0]];
        var conditioning = new[]
        {
            new PromptEmbeddings(hidden[..(77 * 32)], 77, 32),
            new PromptEmbeddings(hidden[(77 * 32)..], 77, 32),
        };
        return (samples, conditioning, timesteps, expected);
    }

    private static double MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double worst = 0;
        for (var i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }
}
