using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ReNoise.Engine.IO;

/// <summary>
/// NumPy .npy files (writes format 1.0; reads 1.0, 2.0 and 3.0), so that latents, noise maps and tables can be
/// compared with Python. Writing produces the same bytes as numpy.save (numpy 1.24).
/// </summary>
internal static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int Align = 64;
    // numpy >= 1.24 leaves room after the dict so the first axis can grow in place.
    private const int GrowthAxisMaxDigits = 21;
    // Same guard as numpy's _MAX_HEADER_SIZE (it refuses larger headers by default).
    private const int MaxHeaderLength = 10000;

    /// <summary>Writes float32 data ('&lt;f4', C order) with the given shape.</summary>
    public static void Write(string path, ReadOnlySpan<float> data, ReadOnlySpan<int> shape) =>
        WriteRaw(path, "<f4", MemoryMarshal.AsBytes(data), data.Length, shape);

    /// <summary>Writes int64 data ('&lt;i8', C order) with the given shape.</summary>
    public static void Write(string path, ReadOnlySpan<long> data, ReadOnlySpan<int> shape) =>
        WriteRaw(path, "<i8", MemoryMarshal.AsBytes(data), data.Length, shape);

    /// <summary>
    /// Reads a little-endian float32 array; float64 ('&lt;f8') and float16 ('&lt;f2') files are
    /// converted to float32. Anything else is a <see cref="ReNoiseInputException"/> naming the file.
    /// </summary>
    public static NpyArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new ReNoiseInputException($"npy file '{path}' was not found");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReNoiseInputException($"cannot read npy file '{path}' ({e.Message})", e);
        }
        return Parse(bytes, path);
    }

    internal static NpyArray Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw Bad(name, "not a .npy file (bad magic)");
        byte major = bytes[6], minor = bytes[7];
        int headerStart, headerLength;
        Encoding encoding;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
                headerStart = 10;
                encoding = Encoding.Latin1;
                break;
            case 2 or 3:
                if (bytes.Length < 12) throw Bad(name, "truncated header");
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
                if (length > MaxHeaderLength) throw Bad(name, $"header of {length} bytes is implausibly large");
                headerLength = (int)length;
                headerStart = 12;
                encoding = major == 3 ? Encoding.UTF8 : Encoding.Latin1; // 3.0 differs only in UTF-8
                break;
            default:
                throw Bad(name, $"unsupported format version {major}.{minor}");
        }
        if (minor != 0)
            throw Bad(name, $"unsupported format version {major}.{minor}");
        if (headerStart + headerLength > bytes.Length)
            throw Bad(name, "truncated header");

        string header = encoding.GetString(bytes.Slice(headerStart, headerLength));
        var (descr, fortranOrder, shape) = ParseHeader(header, name);

        if (fortranOrder)
            throw Bad(name, "Fortran-order arrays are not supported (save a C-contiguous array)");
        int itemSize = descr switch
        {
            "<f4" => 4,
            "<f8" => 8,
            "<f2" => 2,
            _ when descr.Length > 0 && descr[0] == '>' => throw Bad(name, $"big-endian dtype '{descr}' is not supported"),
            _ => throw Bad(name, $"dtype '{descr}' is not supported (expected float32 '<f4', or '<f8'/'<f2')"),
        };

        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
            if (count > Array.MaxLength) throw Bad(name, "array is too large");
        }
        ReadOnlySpan<byte> payload = bytes[(headerStart + headerLength)..];
        long expected = count * itemSize;
        if (payload.Length < expected)
            throw Bad(name, $"truncated data: expected {expected} bytes, found {payload.Length}");
        if (payload.Length > expected)
            throw Bad(name, $"{payload.Length - expected} unexpected bytes after the data");

        var data = new float[count];
        switch (itemSize)
        {
            case 4:
                for (int i = 0; i < data.Length; i++)
                    data[i] = BinaryPrimitives.ReadSingleLittleEndian(payload[(4 * i)..]);
                break;
            case 8:
                for (int i = 0; i < data.Length; i++)
                    data[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(payload[(8 * i)..]);
                break;
            default:
                for (int i = 0; i < data.Length; i++)
                    data[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(payload[(2 * i)..]);
                break;
        }
        return new NpyArray(data, shape);
    }

    private static void WriteRaw(string path, string descr, ReadOnlySpan<byte> payload, int count, ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Npy.Write assumes a little-endian machine");
        long product = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d} in shape", nameof(shape));
            product *= d;
        }
        if (product != count)
            throw new ArgumentException($"shape {FormatShape(shape)} holds {product} values, data has {count}", nameof(shape));

        byte[] header = BuildHeader(descr, shape);
        try
        {
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
            stream.Write(header);
            stream.Write(payload);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReNoiseInputException($"cannot write '{path}' ({e.Message})", e);
        }
    }

    /// <summary>
    /// The header that precedes little-endian float32 C-order data in a .npy file, for writers that
    /// stream the payload themselves (e.g. an HTTP download of a stored blob).
    /// </summary>
    public static byte[] Float32Header(ReadOnlySpan<int> shape) => BuildHeader("<f4", shape);

    /// <summary>Magic, version, header length and the padded dict literal, as numpy's _write_array_header.</summary>
    internal static byte[] BuildHeader(string descr, ReadOnlySpan<int> shape)
    {
        var dict = new StringBuilder();
        dict.Append("{'descr': '").Append(descr).Append("', 'fortran_order': False, 'shape': ")
            .Append(FormatShape(shape)).Append(", }");
        if (shape.Length > 0)
            dict.Append(' ', GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length);

        int textLength = dict.Length + 1; // + final newline
        const int prefix = 10; // magic, version 1.0, 2-byte length
        int padded = textLength + Pad(prefix + textLength);
        // numpy would switch to version 2.0 here; only absurd ranks (numpy allows 32) get there.
        if (padded > ushort.MaxValue)
            throw new ArgumentException($"a shape of rank {shape.Length} does not fit a version 1.0 header", nameof(shape));
        dict.Append(' ', padded - textLength).Append('\n');

        var header = new byte[prefix + padded];
        Magic.CopyTo(header, 0);
        header[6] = 1;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)padded);
        Encoding.Latin1.GetBytes(dict.ToString(), header.AsSpan(prefix));
        return header;
    }

    // numpy: padlen = ARRAY_ALIGN - (total % ARRAY_ALIGN), so an aligned total still gets 64.
    private static int Pad(int total) => Align - total % Align;

    /// <summary>Python's repr of a tuple of ints: (), (5,), (2, 3).</summary>
    private static string FormatShape(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("(");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }
        if (shape.Length == 1) sb.Append(',');
        return sb.Append(')').ToString();
    }

    /// <summary>
    /// Parses the header's Python dict literal: exactly the keys descr (a string),
    /// fortran_order (True/False) and shape (a tuple of non-negative ints).
    /// </summary>
    private static (string Descr, bool FortranOrder, int[] Shape) ParseHeader(string header, string name)
    {
        var p = new HeaderParser(header.TrimEnd(), name);
        string? descr = null;
        bool? fortran = null;
        int[]? shape = null;
        p.Expect('{');
        while (!p.TryConsume('}'))
        {
            string key = p.ReadString();
            p.Expect(':');
            switch (key)
            {
                case "descr": descr = p.ReadDescr(); break;
                case "fortran_order": fortran = p.ReadBool(); break;
                case "shape": shape = p.ReadShape(); break;
                default: throw Bad(name, $"unexpected header key '{key}'");
            }
            if (!p.TryConsume(','))
            {
                p.Expect('}');
                break;
            }
        }
        p.ExpectEnd();
        if (descr is null || fortran is null || shape is null)
            throw Bad(name, "header lacks one of 'descr', 'fortran_order', 'shape'");
        return (descr, fortran.Value, shape);
    }

    private static ReNoiseInputException Bad(string name, string problem) =>
        new($"'{name}' is not a usable .npy file: {problem}");

    private ref struct HeaderParser(string text, string name)
    {
        private int _pos;

        public void Expect(char c)
        {
            if (!TryConsume(c)) throw Malformed($"expected '{c}'");
        }

        public bool TryConsume(char c)
        {
            SkipSpace();
            if (_pos < text.Length && text[_pos] == c)
            {
                _pos++;
                return true;
            }
            return false;
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_pos != text.Length) throw Malformed("trailing characters");
        }

        public string ReadString()
        {
            SkipSpace();
            if (_pos >= text.Length || text[_pos] is not ('\'' or '"')) throw Malformed("expected a quoted string");
            char quote = text[_pos++];
            int end = text.IndexOf(quote, _pos);
            if (end < 0) throw Malformed("unterminated string");
            string s = text[_pos..end];
            _pos = end + 1;
            return s;
        }

        // A structured dtype is a list, not a string.
        public string ReadDescr()
        {
            SkipSpace();
            if (_pos < text.Length && text[_pos] == '[') throw Bad(name, "structured dtypes are not supported");
            return ReadString();
        }

        public bool ReadBool()
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _pos, "True", 0, 4) == 0) { _pos += 4; return true; }
            if (string.CompareOrdinal(text, _pos, "False", 0, 5) == 0) { _pos += 5; return false; }
            throw Malformed("expected True or False");
        }

        public int[] ReadShape()
        {
            Expect('(');
            var dims = new List<int>();
            while (!TryConsume(')'))
            {
                SkipSpace();
                int start = _pos;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
                // Python 2 era files may write long ints as 3L.
                if (!int.TryParse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
                    throw Malformed("bad shape");
                if (_pos < text.Length && text[_pos] == 'L') _pos++;
                dims.Add(d);
                if (!TryConsume(','))
                {
                    Expect(')');
                    break;
                }
            }
            return dims.ToArray();
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private readonly ReNoiseInputException Malformed(string what) => Bad(name, $"malformed header ({what})");
    }
}
