using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ReNoise.Engine.Models;

namespace ReNoise.Engine.Tests.Models;

public class TensorBufferTests
{
    [Fact]
    public void Float16BufferHoldsTheHalfPrecisionValuesOfTheInput()
    {
        float[] source = [0f, 1f, -2.5f, 0.1f, 65504f, 1e-8f, 3.14159f, -0.33333f, 7f];
        using var buffer = new TensorBuffer(TensorElementType.Float16, [1, 9], "test");
        buffer.WriteFloats(source);

        var stored = buffer.Value.GetTensorDataAsSpan<Float16>();
        var back = new float[9];
        buffer.ReadFloats(back);
        for (var i = 0; i < source.Length; i++)
        {
            var half = (Half)source[i];
            Assert.Equal(BitConverter.HalfToUInt16Bits(half), stored[i].value);
            Assert.Equal((float)half, back[i]);
        }
    }

    [Fact]
    public void ScaledWriteAppliesTheScaleBeforeConversion()
    {
        float[] source = [1f, -2f, 4f];
        using var single = new TensorBuffer(TensorElementType.Float, [3], "test");
        using var half = new TensorBuffer(TensorElementType.Float16, [3], "test");
        single.WriteFloats(source, scale: 0.5f);
        half.WriteFloats(source, scale: 0.5f);

        Assert.Equal([0.5f, -1f, 2f], single.Value.GetTensorDataAsSpan<float>().ToArray());
        var back = new float[3];
        half.ReadFloats(back);
        Assert.Equal([0.5f, -1f, 2f], back);
        Assert.Equal([1f, -2f, 4f], source);    // the caller's buffer is untouched
    }

    [Fact]
    public void WritesLandAtTheGivenOffset()
    {
        using var buffer = new TensorBuffer(TensorElementType.Float, [2, 2], "test");
        buffer.WriteFloats([1f, 2f], offset: 2);
        Assert.Equal([0f, 0f, 1f, 2f], buffer.Value.GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void IdsWidenToInt64()
    {
        using var buffer = new TensorBuffer(TensorElementType.Int64, [1, 4], "test");
        buffer.WriteInts([49406, 0, 1023, int.MaxValue]);
        Assert.Equal([49406L, 0L, 1023L, int.MaxValue], buffer.Value.GetTensorDataAsSpan<long>().ToArray());
    }

    [Theory]
    [InlineData(TensorElementType.Int64)]
    [InlineData(TensorElementType.Int32)]
    [InlineData(TensorElementType.Float)]
    [InlineData(TensorElementType.Float16)]
    public void TimestepFillsEveryElementInTheDeclaredType(TensorElementType type)
    {
        using var buffer = new TensorBuffer(type, [2], "test");
        buffer.Fill(999);
        var shape = buffer.Value.GetTensorTypeAndShape();
        Assert.Equal(type, shape.ElementDataType);
        double[] values = type switch
        {
            TensorElementType.Int64 => buffer.Value.GetTensorDataAsSpan<long>().ToArray().Select(v => (double)v).ToArray(),
            TensorElementType.Int32 => buffer.Value.GetTensorDataAsSpan<int>().ToArray().Select(v => (double)v).ToArray(),
            TensorElementType.Float => buffer.Value.GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v).ToArray(),
            _ => buffer.Value.GetTensorDataAsSpan<Float16>().ToArray().Select(v => (double)(float)v).ToArray(),
        };
        Assert.Equal([999.0, 999.0], values);
    }

    [Fact]
    public void ScalarTensorHasRankZeroAndOneElement()
    {
        using var buffer = new TensorBuffer(TensorElementType.Float, [], "test");
        buffer.Fill(249);
        var info = buffer.Value.GetTensorTypeAndShape();
        Assert.Empty(info.Shape);
        Assert.Equal(1, info.ElementCount);
        Assert.Equal(249f, buffer.Value.GetTensorDataAsSpan<float>()[0]);
    }

    [Fact]
    public void UnsupportedElementTypeIsBadInputNamingTheTensor()
    {
        var e = Assert.Throws<ReNoiseInputException>(() => new TensorBuffer(TensorElementType.UInt8, [3], "m.onnx: input 'x'"));
        Assert.Contains("m.onnx: input 'x'", e.Message);
        Assert.Contains("UInt8", e.Message);
    }
}
