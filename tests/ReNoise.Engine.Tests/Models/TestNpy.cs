using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace ReNoise.Engine.Tests.Models;

/// <summary>
/// A minimal reader for the fixtures' reference arrays (.npy 1.0, little-endian, C order,
/// &lt;f4 or &lt;i8), so these tests do not depend on the engine's own .npy code.
/// </summary>
internal sealed partial class TestNpy
{
    private TestNpy(int[] shape, float[]? floats, long[]? longs)
    {
        Shape = shape;
        Floats = floats;
        Longs = longs;
    }

    public int[] Shape { get; }
    public float[]? Floats { get; }
    public long[]? Longs { get; }

    public static float[] ReadFloats(string path) =>
        Read(path).Floats ?? throw new InvalidDataException($"{path} is not float32");

    public static long[] ReadLongs(string path) =>
        Read(path).Longs ?? throw new InvalidDataException($"{path} is not int64");

    public static TestNpy Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY" || bytes[6] != 1)
            throw new InvalidDataException($"{path} is not a version 1 .npy file");
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        var descr = DescrPattern().Match(header).Groups[1].Value;
        if (FortranPattern().Match(header).Groups[1].Value != "False")
            throw new InvalidDataException($"{path} is not in C order");
        var shape = ShapePattern().Match(header).Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToArray();
        var count = shape.Aggregate(1, (a, b) => a * b);
        var data = bytes.AsSpan(10 + headerLength);
        switch (descr)
        {
            case "<f4":
            {
                var values = new float[count];
                for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                return new TestNpy(shape, values, null);
            }
            case "<i8":
            {
                var values = new long[count];
                for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(data[(8 * i)..]);
                return new TestNpy(shape, null, values);
            }
            default:
                throw new InvalidDataException($"{path}: unsupported dtype {descr}");
        }
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order':\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}

/// <summary>Comparison of engine outputs with torch references.</summary>
internal static class Close
{
    /// <summary>
    /// Every element within <paramref name="relative"/> of the reference, relative to the reference's
    /// largest magnitude (outputs near zero are judged at the tensor's scale, not their own).
    /// </summary>
    public static void Assert(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double relative, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        Xunit.Assert.True(scale > 0, $"{what}: reference is all zero");
        double worst = 0;
        var worstIndex = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            Xunit.Assert.True(float.IsFinite(actual[i]), $"{what}: element {i} is {actual[i]}");
            var error = Math.Abs(actual[i] - expected[i]) / scale;
            if (error > worst) { worst = error; worstIndex = i; }
        }
        if (worst <= relative) return;
        Xunit.Assert.Fail(
            $"{what}: element {worstIndex} differs by {worst:E2} of the reference scale {scale:G4} (allowed {relative:E0}): " +
            $"expected {expected[worstIndex]}, got {actual[worstIndex]}");
    }
}
