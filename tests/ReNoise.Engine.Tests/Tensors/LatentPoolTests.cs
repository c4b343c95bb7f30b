using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Tests.Tensors;

public sealed class LatentPoolTests
{
    [Fact]
    public void A_returned_buffer_is_handed_out_again_at_its_exact_length()
    {
        const int length = 12_345; // unused elsewhere, so the pool starts empty for it
        float[] first = LatentPool.Rent(length);
        Assert.Equal(length, first.Length);
        LatentPool.Return(first);
        float[] second = LatentPool.Rent(length);
        Assert.Same(first, second);
        Assert.NotSame(second, LatentPool.Rent(length)); // the pool had only one
        Assert.Equal(length - 1, LatentPool.Rent(length - 1).Length);
    }
}
