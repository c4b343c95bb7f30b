using Microsoft.ML.OnnxRuntime.Tensors;
using ReNoise.Engine.Models;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.Models;

public class OnnxSessionTests
{
    private static readonly ModelLoadOptions Cpu = new() { ExecutionProvider = ExecutionProvider.Cpu, IntraOpThreads = 1 };

    [Theory]
    [InlineData("tiny-sd-turbo", TensorElementType.Int32, TensorElementType.Int64, 1, TensorElementType.Float)]
    [InlineData("tiny-sd15-ddim", TensorElementType.Int64, TensorElementType.Float, 0, TensorElementType.Float)]
    [InlineData("tiny-sd-fp16", TensorElementType.Int64, TensorElementType.Int64, 1, TensorElementType.Float16)]
    [InlineData("tiny-sd21-vpred", TensorElementType.Int64, TensorElementType.Int64, 1, TensorElementType.Float)]
    public void ElementTypesAndRanksComeFromTheMetadata(string name, TensorElementType ids,
        TensorElementType timestep, int timestepRank, TensorElementType floats)
    {
        var folder = ModelFolder.Open(FixturePaths.Model(name));
        using var textEncoder = new TextEncoder(OnnxSession.Open(folder.TextEncoders[0].TextEncoderPath, Cpu));
        using var unet = new UNet(OnnxSession.Open(folder.UNetPath, Cpu));
        using var vaeEncoder = new VaeEncoder(OnnxSession.Open(folder.VaeEncoderPath, Cpu), folder.ScalingFactor);
        using var vaeDecoder = new VaeDecoder(OnnxSession.Open(folder.VaeDecoderPath, Cpu), folder.ScalingFactor);

        Assert.Equal("input_ids", textEncoder.InputIds.Name);
        Assert.Equal(ids, textEncoder.InputIds.ElementType);
        Assert.Equal([-1, 77], textEncoder.InputIds.Dimensions);
        Assert.Equal("last_hidden_state", textEncoder.HiddenStateOutput.Name);
        Assert.Equal(floats, textEncoder.HiddenStateOutput.ElementType);
        Assert.Equal("pooler_output", textEncoder.PooledOutput?.Name);

        Assert.Equal(timestep, unet.TimestepInput.ElementType);
        Assert.Equal(timestepRank, unet.TimestepInput.Rank);
        Assert.Equal(floats, unet.SampleInput.ElementType);
        Assert.Equal([-1, 4, -1, -1], unet.SampleInput.Dimensions);
        Assert.Equal(floats, unet.EncoderHiddenStatesInput.ElementType);
        Assert.Equal("out_sample", unet.OutputInfo.Name);
        Assert.False(unet.RunsElementByElement);

        Assert.Equal(floats, vaeEncoder.Input.ElementType);
        Assert.Equal(name == "tiny-sd15-ddim", vaeEncoder.OutputsDistributionParameters);
        Assert.Equal(floats, vaeDecoder.Input.ElementType);
        Assert.Equal("sample", vaeDecoder.Output.Name);
    }

    [Fact]
    public void CpuProviderIsReportedByItsOnnxRuntimeName()
    {
        using var session = OnnxSession.Open(FixturePaths.Model("tiny-sd-turbo") + "/vae_decoder/model.onnx", Cpu);
        Assert.Equal("CPUExecutionProvider", session.ExecutionProvider);
    }

    [Fact]
    public void AutoUsesCudaOrFallsBackToCpuWithAWarning()
    {
        var factory = new OnnxSessionFactory(new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Auto });
        using var session = factory.Create(Path.Combine(FixturePaths.Model("tiny-sd-turbo"), "vae_decoder", "model.onnx"));

        Assert.Equal(factory.ActiveProvider, session.ExecutionProvider);
        if (session.ExecutionProvider == "CPUExecutionProvider")
        {
            var warning = Assert.Single(factory.Warnings);
            Assert.StartsWith("CUDA execution provider is not available, running on CPU (", warning);
            ModelFolderTests.AssertOneLine(warning);
        }
        else
        {
            Assert.Equal("CUDAExecutionProvider", session.ExecutionProvider);
            Assert.Empty(factory.Warnings);
        }
    }

    [Fact]
    public void ExplicitCudaFailsLoudlyWhenCudaIsUnavailable()
    {
        var auto = new OnnxSessionFactory(new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Auto });
        if (auto.ActiveProvider == "CUDAExecutionProvider")
        {
            // A CUDA machine: explicit CUDA must then load as CUDA, not quietly on the CPU.
            Assert.Equal("CUDAExecutionProvider",
                new OnnxSessionFactory(new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cuda }).ActiveProvider);
            return;
        }
        var e = Assert.Throws<ReNoiseInputException>(() =>
            new OnnxSessionFactory(new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Cuda }));
        Assert.StartsWith("CUDA execution provider is not available (", e.Message);
        ModelFolderTests.AssertOneLine(e.Message);
    }

    [Fact]
    public void ATextFileIsNotAValidOnnxModel()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        var path = copy.PathOf("unet", "model.onnx");
        File.WriteAllText(path, "this is not an ONNX model\nbut a text file\n");

        var e = Assert.Throws<ReNoiseInputException>(() => OnnxSession.Open(path, Cpu));
        Assert.StartsWith($"{path} is not a valid ONNX model (", e.Message);
        Assert.EndsWith(")", e.Message);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(e.Message, System.Text.RegularExpressions.Regex.Escape(path)));
        ModelFolderTests.AssertOneLine(e.Message);
    }

    [Fact]
    public void AnEmptyFileIsNotAValidOnnxModel()
    {
        using var copy = new TempModelCopy("tiny-sd-turbo");
        var path = copy.PathOf("text_encoder", "model.onnx");
        File.WriteAllBytes(path, []);

        var e = Assert.Throws<ReNoiseInputException>(() => OnnxSession.Open(path, Cpu));
        Assert.Equal($"{path} is not a valid ONNX model (empty file)", e.Message);
    }

    [Fact]
    public void OrtTimeAccumulatesAcrossRuns()
    {
        var folder = ModelFolder.Open(FixturePaths.Model("tiny-sd-turbo"));
        using var decoder = new VaeDecoder(OnnxSession.Open(folder.VaeDecoderPath, Cpu), folder.ScalingFactor);
        var latent = new float[4 * 16 * 16];
        Assert.Equal(TimeSpan.Zero, decoder.Session.OrtTime);

        decoder.Decode(latent, new(4, 16, 16));
        var once = decoder.Session.OrtTime;
        decoder.Decode(latent, new(4, 16, 16));

        Assert.True(once > TimeSpan.Zero);
        Assert.True(decoder.Session.OrtTime > once);
    }

    [Fact]
    public void NegativeThreadCountIsRejected()
    {
        var e = Assert.Throws<ReNoiseInputException>(() =>
            new OnnxSessionFactory(new ModelLoadOptions { IntraOpThreads = -1 }));
        Assert.Contains("-1", e.Message);
    }
}
