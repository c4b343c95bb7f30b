using ReNoise.Data.Entities;
namespace ReNoise.Data.Tests;

public sealed class FloatBlobTests
{
    [Fact]
    public void Round_trip_is_bit_exact_including_special_values()
    {
        float[] values = [0f, -0f, 1f, -2.5f, float.Epsilon, float.MaxValue, float.MinValue,
            float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(0x7FC00123), 3.1415927f];
        var back = FloatBlob.ToFloats(FloatBlob.ToBytes(values));
        Assert.Equal(values.Length, back.Length);
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(values[i]), BitConverter.SingleToInt32Bits(back[i]));
    }

    [Fact]
    public void Bytes_are_little_endian_ieee_float32()
    {
        // 1.0f is 0x3F800000 and -2.0f is 0xC0000000 in IEEE 754 binary32.
        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0 }, FloatBlob.ToBytes([1f, -2f]));
    }

    [Fact]
    public void CopyTo_fills_a_preallocated_buffer_and_checks_its_length()
    {
        var values = Samples.RandomFloats(256, seed: 7);
        var bytes = FloatBlob.ToBytes(values);
        var destination = new float[256];
        FloatBlob.CopyTo(bytes, destination);
        Assert.Equal(values, destination);
        Assert.Throws<ArgumentException>(() => FloatBlob.CopyTo(bytes, new float[255]));
    }

    [Fact]
    public void Blob_whose_length_is_not_a_multiple_of_four_is_rejected()
        => Assert.Throws<ArgumentException>(() => FloatBlob.ToFloats(new byte[7]));

    [Theory]
    [InlineData(new[] { 1, 4, 64, 64 }, "1,4,64,64")]
    [InlineData(new[] { 4, 1, 4, 96, 96 }, "4,1,4,96,96")]
    [InlineData(new[] { 0 }, "0")]
    [InlineData(new int[0], "")]
    public void Shape_format_and_parse_are_inverse(int[] shape, string text)
    {
        Assert.Equal(text, FloatBlob.FormatShape(shape));
        Assert.Equal(shape, FloatBlob.ParseShape(text));
    }

    [Theory]
    [InlineData("1,,4")]
    [InlineData("1, 4")]
    [InlineData("-1,4")]
    [InlineData("a")]
    [InlineData("1,4,")]
    public void Malformed_shapes_are_rejected(string text)
        => Assert.Throws<FormatException>(() => FloatBlob.ParseShape(text));

    [Fact]
    public void Negative_dimension_cannot_be_formatted()
        => Assert.Throws<ArgumentOutOfRangeException>(() => FloatBlob.FormatShape([1, -4]));

    [Fact]
    public void Matches_compares_byte_length_with_the_shape()
    {
        Assert.True(FloatBlob.Matches(new byte[1 * 4 * 8 * 8 * 4], "1,4,8,8"));
        Assert.False(FloatBlob.Matches(new byte[1 * 4 * 8 * 8 * 4 - 4], "1,4,8,8"));
        Assert.True(FloatBlob.Matches([], ""));
        Assert.False(FloatBlob.Matches(new byte[4], ""));
        Assert.Equal(4L * 96 * 96, FloatBlob.ElementCount([1, 4, 96, 96]));
    }

    [Fact]
    public async Task Latent_and_noise_maps_survive_the_database_bit_exact()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var store = db.NewStore();
        var owner = await store.GetOrCreateSessionAsync(null);
        var latent = Samples.RandomFloats(4 * 8 * 8, seed: 11);
        var noise = Samples.RandomFloats(3 * 4 * 8 * 8, seed: 12);
        var sample = Samples.Inversion();
        sample.Row.NoiseShape = FloatBlob.FormatShape([3, 1, 4, 8, 8]);
        var inversion = sample with { Files = sample.Files with { Latent = FloatBlob.ToBytes(latent), NoiseMaps = FloatBlob.ToBytes(noise) } };
        var id = await store.AddInversionAsync(owner, inversion);

        var reader = db.NewStore();
        var loaded = await reader.GetInversionAsync(owner, id);
        Assert.NotNull(loaded);
        Assert.Equal(latent, FloatBlob.ToFloats((await reader.GetInversionBlobAsync(owner, id, InversionBlobKind.Latent))!));
        Assert.Equal(noise, FloatBlob.ToFloats((await reader.GetInversionBlobAsync(owner, id, InversionBlobKind.NoiseMaps))!));
        Assert.Equal([1, 4, 8, 8], FloatBlob.ParseShape(loaded.LatentShape));
        Assert.Equal([3, 1, 4, 8, 8], FloatBlob.ParseShape(loaded.NoiseShape));
    }

    [Fact]
    public async Task Inversion_whose_blob_does_not_match_its_shape_is_refused()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var store = db.NewStore();
        var owner = await store.GetOrCreateSessionAsync(null);

        var badLatent = Samples.Inversion();
        badLatent.Row.LatentShape = "1,4,8,9";
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddInversionAsync(owner, badLatent));

        var badNoise = Samples.Inversion();
        badNoise.Row.NoiseShape = "";
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddInversionAsync(owner, badNoise));

        var emptyNoise = Samples.Inversion();
        emptyNoise = emptyNoise with { Files = emptyNoise.Files with { NoiseMaps = [] } };
        emptyNoise.Row.NoiseShape = "";
        await store.AddInversionAsync(owner, emptyNoise);
        Assert.Single(await store.ListInversionsAsync(owner));
    }
}
