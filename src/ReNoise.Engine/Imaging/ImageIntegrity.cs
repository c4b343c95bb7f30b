using System.Buffers.Binary;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;

namespace ReNoise.Engine.Imaging;

/// <summary>
/// Structural completeness checks run before decoding. ImageSharp fills the missing part of
/// some cut-off files with gray instead of failing; inverting such a picture silently would
/// waste a run, so a file whose container says it is incomplete is rejected.
/// Each check returns null when the file is complete, else a short reason.
/// </summary>
internal static class ImageIntegrity
{
    public static string? FindTruncation(ReadOnlySpan<byte> data, IImageFormat format)
    {
        if (ReferenceEquals(format, PngFormat.Instance)) return CheckPng(data);
        if (ReferenceEquals(format, JpegFormat.Instance)) return CheckJpeg(data);
        if (ReferenceEquals(format, WebpFormat.Instance)) return CheckWebp(data);
        if (ReferenceEquals(format, GifFormat.Instance)) return CheckGif(data);
        if (ReferenceEquals(format, BmpFormat.Instance)) return CheckBmp(data);
        return null;
    }

    /// <summary>Walks the chunk list: every chunk must fit in the file and IEND must be reached.</summary>
    internal static string? CheckPng(ReadOnlySpan<byte> data)
    {
        long pos = 8; // signature
        while (pos + 8 <= data.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[(int)pos..]);
            string type = ChunkType(data.Slice((int)pos + 4, 4));
            long end = pos + 12 + length; // length, type, data, CRC
            if (end > data.Length)
                return $"truncated PNG: chunk {type} is cut off";
            if (type == "IEND")
                return null;
            pos = end;
        }
        return "truncated PNG: no IEND chunk";
    }

    /// <summary>
    /// Follows the marker segments and entropy-coded scans until the end-of-image marker.
    /// Walking the structure (rather than searching for FF D9) skips the EOI of an embedded
    /// EXIF thumbnail, which would otherwise hide a cut-off main image.
    /// </summary>
    internal static string? CheckJpeg(ReadOnlySpan<byte> data)
    {
        int pos = 2; // SOI
        while (true)
        {
            if (pos >= data.Length)
                return "truncated JPEG: no end-of-image marker";
            if (data[pos] != 0xFF)
                return $"corrupt JPEG: expected a marker at byte {pos}";
            while (pos < data.Length && data[pos] == 0xFF) pos++; // fill bytes
            if (pos >= data.Length)
                return "truncated JPEG: no end-of-image marker";
            byte marker = data[pos++];
            if (marker == 0xD9) // EOI
                return null;
            if (marker is 0x01 or >= 0xD0 and <= 0xD8) // standalone: TEM, RSTn, SOI
                continue;
            if (pos + 2 > data.Length)
                return "truncated JPEG: no end-of-image marker";
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2 || pos + length > data.Length)
                return $"truncated JPEG: segment FF{marker:X2} is cut off";
            pos += length;
            if (marker != 0xDA) // not start-of-scan
                continue;
            // Entropy-coded data: FF00 is a stuffed byte, FFD0-FFD7 restart markers; any
            // other FFxx ends the scan.
            while (true)
            {
                int ff = data[pos..].IndexOf((byte)0xFF);
                if (ff < 0 || pos + ff + 1 >= data.Length)
                    return "truncated JPEG: scan data without end-of-image marker";
                pos += ff;
                byte next = data[pos + 1];
                if (next == 0x00 || next is >= 0xD0 and <= 0xD7 || next == 0xFF)
                {
                    pos += next == 0xFF ? 1 : 2;
                    continue;
                }
                break;
            }
        }
    }

    /// <summary>The RIFF header states the file size; a shorter file is cut off.</summary>
    internal static string? CheckWebp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 12)
            return "truncated WebP: incomplete RIFF header";
        long declared = 8L + BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        return data.Length < declared
            ? $"truncated WebP: RIFF header says {declared} bytes, file has {data.Length}"
            : null;
    }

    /// <summary>Walks the blocks up to the end of the first image's data (the only frame used).</summary>
    internal static string? CheckGif(ReadOnlySpan<byte> data)
    {
        const string cut = "truncated GIF: first frame is cut off";
        if (data.Length < 13) return cut;
        int pos = 13; // header + logical screen descriptor
        byte packed = data[10];
        if ((packed & 0x80) != 0) pos += 3 << ((packed & 7) + 1);
        while (pos < data.Length)
        {
            byte introducer = data[pos++];
            if (introducer == 0x21) // extension: label, then sub-blocks
            {
                pos++;
                if (!SkipSubBlocks(data, ref pos)) return cut;
            }
            else if (introducer == 0x2C) // image descriptor
            {
                if (pos + 9 > data.Length) return cut;
                byte local = data[pos + 8];
                pos += 9;
                if ((local & 0x80) != 0) pos += 3 << ((local & 7) + 1);
                pos++; // LZW minimum code size
                return SkipSubBlocks(data, ref pos) ? null : cut;
            }
            else if (introducer == 0x3B)
            {
                return "GIF has no image frame";
            }
            else
            {
                return $"corrupt GIF: unexpected block 0x{introducer:X2} at byte {pos - 1}";
            }
        }
        return cut;
    }

    private static bool SkipSubBlocks(ReadOnlySpan<byte> data, ref int pos)
    {
        while (pos < data.Length)
        {
            int size = data[pos++];
            if (size == 0) return true;
            pos += size;
        }
        return false;
    }

    /// <summary>Uncompressed bitmaps: the pixel rows the header promises must be present.</summary>
    internal static string? CheckBmp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 26) return "truncated BMP: incomplete header";
        long offBits = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(data[14..]);
        long width, height;
        int bitsPerPixel;
        uint compression = 0;
        if (headerSize == 12) // OS/2 BITMAPCOREHEADER
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(data[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(data[20..]);
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(data[24..]);
        }
        else
        {
            if (data.Length < 34) return "truncated BMP: incomplete header";
            width = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(data[22..]));
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(data[30..]);
        }
        // Run-length and embedded JPEG/PNG bitmaps have no fixed size; leave them to the decoder.
        if (compression is not (0 or 3 or 6)) return null;
        long rowBytes = (bitsPerPixel * width + 31) / 32 * 4;
        long needed = offBits + rowBytes * height;
        return data.Length < needed
            ? $"truncated BMP: pixel data needs {needed} bytes, file has {data.Length}"
            : null;
    }

    private static string ChunkType(ReadOnlySpan<byte> type)
    {
        Span<char> chars = stackalloc char[4];
        for (int i = 0; i < 4; i++)
            chars[i] = type[i] is >= 0x20 and < 0x7F ? (char)type[i] : '?';
        return new string(chars);
    }
}
