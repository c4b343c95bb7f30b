using System.Buffers.Binary;
using System.Text;
using ReNoise.Engine.IO;
using ReNoise.TestSupport;

namespace ReNoise.Engine.Tests.IO;

public class NpyTests
{
    private static string Ref(string name) => Path.Combine(AppContext.BaseDirectory, "IO", "data", name);

    // The values tools/metrics/make_npy_refs.py stores in f4_2x3.npy / f4_v2.npy.
    private static float[] SixValues() => Enumerable.Range(0, 6).Select(i => i * 0.5f - 1f).ToArray();

    [Fact]
    public void RoundTripKeepsDataAndShape()
    {
        using var dir = new TempDirectory();
        var rng = new Random(7);
        float[] data = Enumerable.Range(0, 2 * 3 * 4).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray();
        data[5] = float.NaN;
        data[6] = float.NegativeInfinity;
        data[7] = -0f;
        string path = dir.File("a.npy");

        Npy.Write(path, data, [2, 3, 4]);
        NpyArray read = Npy.Read(path);

        Assert.Equal(new[] { 2, 3, 4 }, read.Shape);
        Assert.Equal(data.Select(BitConverter.SingleToInt32Bits), read.Data.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData("f4_2x3.npy", new[] { 2, 3 })]
    [InlineData("f4_vec.npy", new[] { 5 })]
    [InlineData("f4_scalar.npy", new int[0])]
    public void WrittenFileIsByteIdenticalToNumpySave(string reference, int[] shape)
    {
        byte[] expected = File.ReadAllBytes(Ref(reference));
        // Take the values from numpy's file so that only the writer is under test here.
        float[] values = Npy.Read(Ref(reference)).Data;
        using var dir = new TempDirectory();
        string path = dir.File("mine.npy");

        Npy.Write(path, values, shape);

        byte[] actual = File.ReadAllBytes(path);
        Assert.Equal(Encoding.Latin1.GetString(expected), Encoding.Latin1.GetString(actual));
        Assert.Equal(0, (actual.Length - values.Length * 4) % 64);
    }

    [Fact]
    public void ReadsNumpyFloat32File()
    {
        NpyArray a = Npy.Read(Ref("f4_2x3.npy"));
        Assert.Equal(new[] { 2, 3 }, a.Shape);
        Assert.Equal(SixValues(), a.Data);
    }

    [Fact]
    public void ReadsNumpyVectorAndScalar()
    {
        NpyArray v = Npy.Read(Ref("f4_vec.npy"));
        Assert.Equal(new[] { 5 }, v.Shape);
        Assert.Equal(new[] { 0.25f, -3.5f, 1e-3f, 7f, 1e6f }, v.Data);

        NpyArray s = Npy.Read(Ref("f4_scalar.npy"));
        Assert.Empty(s.Shape);
        Assert.Equal(new[] { 2.5f }, s.Data);
    }

    [Fact]
    public void ReadsVersion2Header()
    {
        Assert.Equal(2, File.ReadAllBytes(Ref("f4_v2.npy"))[6]); // the fixture really is v2.0
        NpyArray a = Npy.Read(Ref("f4_v2.npy"));
        Assert.Equal(new[] { 2, 3 }, a.Shape);
        Assert.Equal(SixValues(), a.Data);
    }

    [Fact]
    public void ConvertsFloat64AndFloat16ToFloat32()
    {
        NpyArray d = Npy.Read(Ref("f8_2x2.npy"));
        Assert.Equal(new[] { 2, 2 }, d.Shape);
        Assert.Equal(new[] { (float)(1.0 / 3.0), -2f, 1e-8f, (float)123456.789 }, d.Data);

        NpyArray h = Npy.Read(Ref("f2_3.npy"));
        Assert.Equal(new[] { 3 }, h.Shape);
        Assert.Equal(new[] { 0.5f, -1.25f, 65504f }, h.Data);
    }

    [Theory]
    [InlineData("be_f4.npy", "big-endian dtype '>f4'")]
    [InlineData("fortran.npy", "Fortran-order")]
    [InlineData("i4.npy", "dtype '<i4' is not supported")]
    public void RejectsUnsupportedNumpyFiles(string name, string problem)
    {
        var e = Assert.Throws<ReNoiseInputException>(() => Npy.Read(Ref(name)));
        Assert.Contains(name, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void RejectsTruncatedData()
    {
        using var dir = new TempDirectory();
        byte[] bytes = File.ReadAllBytes(Ref("f4_2x3.npy"));
        string path = dir.File("cut.npy");
        File.WriteAllBytes(path, bytes[..^4]);

        var e = Assert.Throws<ReNoiseInputException>(() => Npy.Read(path));
        Assert.Contains("cut.npy", e.Message);
        Assert.Contains("truncated data: expected 24 bytes, found 20", e.Message);
    }

    [Fact]
    public void RejectsTruncatedHeaderAndBadMagic()
    {
        using var dir = new TempDirectory();
        byte[] bytes = File.ReadAllBytes(Ref("f4_2x3.npy"));
        string cut = dir.File("head.npy");
        File.WriteAllBytes(cut, bytes[..40]);
        Assert.Contains("truncated header", Assert.Throws<ReNoiseInputException>(() => Npy.Read(cut)).Message);

        string png = dir.File("notnpy.npy");
        File.WriteAllBytes(png, [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 0]);
        var e = Assert.Throws<ReNoiseInputException>(() => Npy.Read(png));
        Assert.Contains("notnpy.npy", e.Message);
        Assert.Contains("bad magic", e.Message);
    }

    [Fact]
    public void RejectsMissingFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("absent.npy");
        var e = Assert.Throws<ReNoiseInputException>(() => Npy.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void WriteRejectsShapeThatDoesNotMatchData()
    {
        using var dir = new TempDirectory();
        Assert.Throws<ArgumentException>(() => Npy.Write(dir.File("x.npy"), new float[6], [4, 2]));
        Assert.Throws<ArgumentException>(() => Npy.Write(dir.File("y.npy"), new float[0], [-1, 0]));
    }

    [Fact]
    public void WritesInt64WithI8Descr()
    {
        using var dir = new TempDirectory();
        string path = dir.File("ids.npy");
        long[] ids = [49406, -3, long.MaxValue];

        Npy.Write(path, ids, [3]);

        byte[] bytes = File.ReadAllBytes(path);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        string header = Encoding.Latin1.GetString(bytes, 10, headerLength);
        Assert.StartsWith("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", header);
        Assert.EndsWith("\n", header);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Equal(10 + headerLength + 24, bytes.Length);
        for (int i = 0; i < 3; i++)
            Assert.Equal(ids[i], BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(10 + headerLength + 8 * i)));
    }
}
