namespace ReNoise.Engine.Tensors;

/// <summary>Shape of one latent (batch 1): channels x height x width, stored flat in C order.</summary>
public readonly record struct LatentShape(int Channels, int Height, int Width)
{
    public int Length => Channels * Height * Width;
    public int PlaneLength => Height * Width;
    public int[] ToNchw(int batch = 1) => [batch, Channels, Height, Width];
    public override string ToString() => $"[{Channels},{Height},{Width}]";
}
