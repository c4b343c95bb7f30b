using Microsoft.ML.OnnxRuntime.Tensors;

namespace ReNoise.Engine.Models;

/// <summary>
/// One input or output of an ONNX model as its metadata declares it.
/// <paramref name="Dimensions"/> holds -1 for a symbolic (dynamic) axis.
/// </summary>
internal sealed record OnnxTensorInfo(string Name, TensorElementType ElementType, IReadOnlyList<int> Dimensions)
{
    public int Rank => Dimensions.Count;

    public bool IsFloatingPoint => ElementType is TensorElementType.Float or TensorElementType.Float16 or TensorElementType.Double;

    public bool IsInteger => ElementType is TensorElementType.Int32 or TensorElementType.Int64;

    /// <summary>True when axis <paramref name="axis"/> is fixed to <paramref name="size"/> in the model.</summary>
    public bool IsFixed(int axis, int size) => axis < Rank && Dimensions[axis] == size;

    /// <summary>
    /// Checks a concrete shape against the declared rank and fixed axes, so a mismatch is reported
    /// as bad input naming the model and the axis instead of failing inside ONNX Runtime.
    /// </summary>
    public void CheckShape(ReadOnlySpan<long> shape, string modelPath)
    {
        if (shape.Length != Rank)
            throw new ReNoiseInputException(
                $"{modelPath}: input '{Name}' has rank {Rank} {FormatDims()}, the engine would pass rank {shape.Length}");
        for (var axis = 0; axis < Rank; axis++)
        {
            if (Dimensions[axis] > 0 && Dimensions[axis] != shape[axis])
                throw new ReNoiseInputException(
                    $"{modelPath}: input '{Name}' is fixed to {FormatDims()}, got [{string.Join(",", shape.ToArray())}] (axis {axis})");
        }
    }

    public string FormatDims() => "[" + string.Join(",", Dimensions.Select(d => d < 0 ? "?" : d.ToString())) + "]";

    public override string ToString() => $"{Name}: {ElementType} {FormatDims()}";
}
