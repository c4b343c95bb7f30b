using System.Runtime.Intrinsics;

namespace ReNoise.Engine.Imaging;

/// <summary>
/// Splits packed RGB bytes (R G B R G B ...) into three planes and merges planes back. The VAE
/// tensors and the SSIM filter work per channel while <see cref="RgbImage"/> is packed; done a
/// byte at a time, this reshuffling took longer than the arithmetic around it. With byte shuffles
/// 16 pixels (48 bytes, three 128-bit vectors) move per step: each plane vector is three shuffles
/// of the packed vectors OR-ed together, and each packed vector three shuffles of the planes
/// (a shuffle index outside 0..15 yields 0). Every path moves the same bytes.
/// </summary>
internal static class RgbPlanes
{
    private const int Pixels = 16;

    // Split[channel * 3 + part]: where pixel p's channel byte sits in packed vector `part`, or none.
    private static readonly Vector128<byte>[] Split = CreateSplit();

    // Merge[part * 3 + channel]: which pixel of plane `channel` fills each byte of packed vector `part`, or none.
    private static readonly Vector128<byte>[] Merge = CreateMerge();

    /// <summary>Splits <paramref name="rgb"/> (3 x <c>red.Length</c> bytes) into the three planes.</summary>
    public static void ToPlanes(ReadOnlySpan<byte> rgb, Span<byte> red, Span<byte> green, Span<byte> blue)
    {
        int count = red.Length;
        if (rgb.Length != 3 * count || green.Length != count || blue.Length != count)
            throw new ArgumentException($"{rgb.Length} packed bytes do not split into planes of {red.Length}, {green.Length} and {blue.Length}");
        int p = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<byte>[] split = Split;
            for (; p <= count - Pixels; p += Pixels)
            {
                var part0 = Vector128.Create(rgb.Slice(3 * p, Pixels));
                var part1 = Vector128.Create(rgb.Slice(3 * p + Pixels, Pixels));
                var part2 = Vector128.Create(rgb.Slice(3 * p + 2 * Pixels, Pixels));
                (Vector128.Shuffle(part0, split[0]) | Vector128.Shuffle(part1, split[1]) | Vector128.Shuffle(part2, split[2])).CopyTo(red[p..]);
                (Vector128.Shuffle(part0, split[3]) | Vector128.Shuffle(part1, split[4]) | Vector128.Shuffle(part2, split[5])).CopyTo(green[p..]);
                (Vector128.Shuffle(part0, split[6]) | Vector128.Shuffle(part1, split[7]) | Vector128.Shuffle(part2, split[8])).CopyTo(blue[p..]);
            }
        }
        for (; p < count; p++)
        {
            red[p] = rgb[3 * p];
            green[p] = rgb[3 * p + 1];
            blue[p] = rgb[3 * p + 2];
        }
    }

    /// <summary>Packs the three planes into <paramref name="rgb"/> (3 x <c>red.Length</c> bytes).</summary>
    public static void FromPlanes(ReadOnlySpan<byte> red, ReadOnlySpan<byte> green, ReadOnlySpan<byte> blue, Span<byte> rgb)
    {
        int count = red.Length;
        if (rgb.Length != 3 * count || green.Length != count || blue.Length != count)
            throw new ArgumentException($"planes of {red.Length}, {green.Length} and {blue.Length} bytes do not pack into {rgb.Length}");
        int p = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<byte>[] merge = Merge;
            for (; p <= count - Pixels; p += Pixels)
            {
                var r = Vector128.Create(red.Slice(p, Pixels));
                var g = Vector128.Create(green.Slice(p, Pixels));
                var b = Vector128.Create(blue.Slice(p, Pixels));
                for (int part = 0; part < 3; part++)
                    (Vector128.Shuffle(r, merge[3 * part]) | Vector128.Shuffle(g, merge[3 * part + 1]) | Vector128.Shuffle(b, merge[3 * part + 2]))
                        .CopyTo(rgb[(3 * p + part * Pixels)..]);
            }
        }
        for (; p < count; p++)
        {
            rgb[3 * p] = red[p];
            rgb[3 * p + 1] = green[p];
            rgb[3 * p + 2] = blue[p];
        }
    }

    private const byte None = 0xFF;

    private static Vector128<byte>[] CreateSplit()
    {
        var vectors = new Vector128<byte>[9];
        Span<byte> index = stackalloc byte[Pixels];
        for (int channel = 0; channel < 3; channel++)
            for (int part = 0; part < 3; part++)
            {
                for (int pixel = 0; pixel < Pixels; pixel++)
                {
                    int at = 3 * pixel + channel - part * Pixels; // position within packed vector `part`
                    index[pixel] = at is >= 0 and < Pixels ? (byte)at : None;
                }
                vectors[channel * 3 + part] = Vector128.Create<byte>(index);
            }
        return vectors;
    }

    private static Vector128<byte>[] CreateMerge()
    {
        var vectors = new Vector128<byte>[9];
        Span<byte> index = stackalloc byte[Pixels];
        for (int part = 0; part < 3; part++)
            for (int channel = 0; channel < 3; channel++)
            {
                for (int i = 0; i < Pixels; i++)
                {
                    int at = part * Pixels + i; // packed byte: pixel at / 3, channel at % 3
                    index[i] = at % 3 == channel ? (byte)(at / 3) : None;
                }
                vectors[part * 3 + channel] = Vector128.Create<byte>(index);
            }
        return vectors;
    }
}
