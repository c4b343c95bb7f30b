using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ReNoise.Engine.Models;

/// <summary>
/// A preallocated, pinned tensor in the element type the model declares, wrapped once in an
/// <see cref="OrtValue"/> so repeated runs reuse it. The engine always speaks float32 / int32;
/// conversion to float16, float64 or int64 happens here, vectorised, at the session boundary.
/// </summary>
internal sealed class TensorBuffer : IDisposable
{
    private readonly float[]? _single;
    private readonly Float16[]? _half;
    private readonly double[]? _double;
    private readonly int[]? _int32;
    private readonly long[]? _int64;
    private float[]? _scratch;

    /// <param name="context">model path and tensor name, for error messages.</param>
    public TensorBuffer(TensorElementType elementType, long[] shape, string context)
    {
        ElementType = elementType;
        Shape = shape;
        long length = 1;
        foreach (var d in shape) length *= d;
        Length = checked((int)length);
        Value = elementType switch
        {
            TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(_single = new float[Length], shape),
            TensorElementType.Float16 => OrtValue.CreateTensorValueFromMemory(_half = new Float16[Length], shape),
            TensorElementType.Double => OrtValue.CreateTensorValueFromMemory(_double = new double[Length], shape),
            TensorElementType.Int32 => OrtValue.CreateTensorValueFromMemory(_int32 = new int[Length], shape),
            TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(_int64 = new long[Length], shape),
            _ => throw new ReNoiseInputException($"{context} has element type {elementType}, which the engine does not support"),
        };
    }

    public TensorElementType ElementType { get; }
    public long[] Shape { get; }
    public int Length { get; }
    public OrtValue Value { get; }

    /// <summary>The elements of a float32 tensor, to be written in place (e.g. pixels normalized straight into the model input).</summary>
    public Span<float> Floats => _single ?? throw new InvalidOperationException($"a {ElementType} tensor does not hold float32 values");

    /// <summary>Writes <paramref name="source"/> * <paramref name="scale"/> at element <paramref name="offset"/>.</summary>
    public void WriteFloats(ReadOnlySpan<float> source, int offset = 0, float scale = 1f)
    {
        switch (ElementType)
        {
            case TensorElementType.Float:
                Scale(source, scale, _single.AsSpan(offset, source.Length));
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToHalf(Scaled(source, scale), AsHalf(_half.AsSpan(offset, source.Length)));
                break;
            case TensorElementType.Double:
                TensorPrimitives.ConvertChecked(Scaled(source, scale), _double.AsSpan(offset, source.Length));
                break;
            case TensorElementType.Int32:
                TensorPrimitives.ConvertTruncating(Scaled(source, scale), _int32.AsSpan(offset, source.Length));
                break;
            case TensorElementType.Int64:
                TensorPrimitives.ConvertTruncating(Scaled(source, scale), _int64.AsSpan(offset, source.Length));
                break;
        }
    }

    /// <summary>Writes token ids (or other integers) in the declared element type.</summary>
    public void WriteInts(ReadOnlySpan<int> source, int offset = 0)
    {
        switch (ElementType)
        {
            case TensorElementType.Int32:
                source.CopyTo(_int32.AsSpan(offset, source.Length));
                break;
            case TensorElementType.Int64:
                TensorPrimitives.ConvertChecked(source, _int64.AsSpan(offset, source.Length));
                break;
            case TensorElementType.Float:
                TensorPrimitives.ConvertChecked(source, _single.AsSpan(offset, source.Length));
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertChecked(source, AsHalf(_half.AsSpan(offset, source.Length)));
                break;
            case TensorElementType.Double:
                TensorPrimitives.ConvertChecked(source, _double.AsSpan(offset, source.Length));
                break;
        }
    }

    /// <summary>Sets every element to <paramref name="value"/> (the UNet timestep, one per batch element).</summary>
    public void Fill(int value)
    {
        switch (ElementType)
        {
            case TensorElementType.Float: Array.Fill(_single!, value); break;
            case TensorElementType.Float16: Array.Fill(_half!, (Float16)(float)value); break;
            case TensorElementType.Double: Array.Fill(_double!, value); break;
            case TensorElementType.Int32: Array.Fill(_int32!, value); break;
            case TensorElementType.Int64: Array.Fill(_int64!, value); break;
        }
    }

    /// <summary>Reads elements [offset, offset + destination.Length) as float32.</summary>
    public void ReadFloats(Span<float> destination, int offset = 0)
    {
        switch (ElementType)
        {
            case TensorElementType.Float:
                _single.AsSpan(offset, destination.Length).CopyTo(destination);
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(AsHalf(_half.AsSpan(offset, destination.Length)), destination);
                break;
            case TensorElementType.Double:
                TensorPrimitives.ConvertTruncating(_double.AsSpan(offset, destination.Length), destination);
                break;
            default:
                throw new InvalidOperationException($"a {ElementType} tensor does not hold floats");
        }
    }

    /// <summary>
    /// Reads a tensor ONNX Runtime allocated (an output whose shape is only known after the run)
    /// as float32, starting at element <paramref name="offset"/>.
    /// </summary>
    public static void ReadFloats(OrtValue value, Span<float> destination, string context, int offset = 0)
    {
        var type = value.GetTensorTypeAndShape().ElementDataType;
        switch (type)
        {
            case TensorElementType.Float:
                value.GetTensorDataAsSpan<float>().Slice(offset, destination.Length).CopyTo(destination);
                break;
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(
                    AsHalf(value.GetTensorDataAsSpan<Float16>().Slice(offset, destination.Length)), destination);
                break;
            case TensorElementType.Double:
                TensorPrimitives.ConvertTruncating(value.GetTensorDataAsSpan<double>().Slice(offset, destination.Length), destination);
                break;
            default:
                throw new ReNoiseInputException($"{context} has element type {type}, expected a floating-point tensor");
        }
    }

    public void Dispose() => Value.Dispose();

    private static void Scale(ReadOnlySpan<float> source, float scale, Span<float> destination)
    {
        if (scale == 1f) source.CopyTo(destination);
        else TensorPrimitives.Multiply(source, scale, destination);
    }

    /// <summary>The source, or the scaled source in a reused scratch buffer, ready for type conversion.</summary>
    private ReadOnlySpan<float> Scaled(ReadOnlySpan<float> source, float scale)
    {
        if (scale == 1f) return source;
        _scratch ??= new float[Length];
        var scratch = _scratch.AsSpan(0, source.Length);
        TensorPrimitives.Multiply(source, scale, scratch);
        return scratch;
    }

    // ONNX Runtime's Float16 and System.Half are both one IEEE binary16 value (a ushort), so the
    // buffers can be reinterpreted in place for TensorPrimitives' vectorised conversions.
    private static Span<Half> AsHalf(Span<Float16> span) => MemoryMarshal.Cast<Float16, Half>(span);
    private static ReadOnlySpan<Half> AsHalf(ReadOnlySpan<Float16> span) => MemoryMarshal.Cast<Float16, Half>(span);
}
