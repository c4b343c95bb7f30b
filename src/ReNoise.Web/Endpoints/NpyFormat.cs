using System.Globalization;
using System.Text;

namespace ReNoise.Web.Endpoints;

/// <summary>
/// The header of a NumPy .npy file (format 1.0) for little-endian float32 data in C order. The
/// gallery keeps tensors as exactly that payload (FloatBlob), so a download is header + blob.
/// </summary>
public static class NpyFormat
{
    public static byte[] Float32Header(ReadOnlySpan<int> shape)
    {
        var dims = new StringBuilder();
        foreach (int d in shape) dims.Append(d.ToString(CultureInfo.InvariantCulture)).Append(", ");
        string shapeText = shape.Length switch
        {
            0 => "()",
            1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => "(" + dims.ToString(0, dims.Length - 2) + ")",
        };
        string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }";
        // magic (6) + version (2) + length (2) + dict + padding + '\n', a multiple of 64 bytes.
        int unpadded = 10 + dict.Length + 1;
        int total = (unpadded + 63) / 64 * 64;
        string header = dict + new string(' ', total - unpadded) + "\n";
        var bytes = new byte[10 + header.Length];
        bytes[0] = 0x93;
        "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = 1;
        bytes[7] = 0;
        bytes[8] = (byte)(header.Length & 0xff);
        bytes[9] = (byte)(header.Length >> 8);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(10));
        return bytes;
    }
}
