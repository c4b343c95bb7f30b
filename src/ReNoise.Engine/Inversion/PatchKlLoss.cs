using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>
/// The patch-KL regularizer of ReNoise (spec §8): the latent is cut into non-overlapping tiles of
/// 4 channels x 4 x 4 pixels; per tile and channel the 16 values of <c>e</c> (index 0) and of the
/// target <c>e_opt</c> (index 1) give means m and unbiased variances v, and
/// <c>k = ln((v1+eps)/(v0+eps)) + (v0 + (m0-m1)^2)/(v1+eps) - 1</c>; the loss is the sum of |k|.
/// Rows/columns beyond the last full tile belong to no tile (as torch's unfold drops them).
/// Statistics are computed in double; the gradient is with respect to <c>e</c> only.
/// </summary>
public static class PatchKlLoss
{
    public const int PatchSize = 4;
    public const int Channels = 4;
    public const double Epsilon = 1e-6;

    private const int PatchArea = PatchSize * PatchSize;

    public static double Value(ReadOnlySpan<float> e, ReadOnlySpan<float> target, LatentShape shape)
    {
        Validate(e, target, shape);
        return Compute(e, target, shape, Span<float>.Empty, withGradient: false);
    }

    /// <summary>
    /// Writes dL/de into <paramref name="gradient"/> (every element: 0 outside full tiles) and
    /// returns the loss value.
    /// </summary>
    public static double Gradient(ReadOnlySpan<float> e, ReadOnlySpan<float> target, LatentShape shape, Span<float> gradient)
    {
        Validate(e, target, shape);
        if (gradient.Length != shape.Length)
            throw new ArgumentException($"gradient has {gradient.Length} elements, shape {shape} needs {shape.Length}.", nameof(gradient));
        return Compute(e, target, shape, gradient, withGradient: true);
    }

    private static void Validate(ReadOnlySpan<float> e, ReadOnlySpan<float> target, LatentShape shape)
    {
        if (shape.Channels != Channels)
            throw new ArgumentException($"patch-KL loss needs a {Channels}-channel latent, got shape {shape}.", nameof(shape));
        if (e.Length != shape.Length)
            throw new ArgumentException($"e has {e.Length} elements, shape {shape} needs {shape.Length}.", nameof(e));
        if (target.Length != shape.Length)
            throw new ArgumentException($"target has {target.Length} elements, shape {shape} needs {shape.Length}.", nameof(target));
    }

    private static double Compute(ReadOnlySpan<float> e, ReadOnlySpan<float> target, LatentShape shape, Span<float> gradient, bool withGradient)
    {
        if (withGradient) gradient.Clear();
        int width = shape.Width;
        int plane = shape.PlaneLength;
        int tilesY = shape.Height / PatchSize;
        int tilesX = width / PatchSize;
        double loss = 0;
        for (int c = 0; c < Channels; c++)
        {
            for (int ty = 0; ty < tilesY; ty++)
            {
                for (int tx = 0; tx < tilesX; tx++)
                {
                    int origin = c * plane + ty * PatchSize * width + tx * PatchSize;

                    double sum0 = 0, sum1 = 0;
                    for (int i = 0; i < PatchSize; i++)
                    {
                        int row = origin + i * width;
                        for (int j = 0; j < PatchSize; j++)
                        {
                            sum0 += e[row + j];
                            sum1 += target[row + j];
                        }
                    }
                    double m0 = sum0 / PatchArea, m1 = sum1 / PatchArea;

                    // Two-pass variance: the one-pass form loses digits on near-constant tiles,
                    // exactly where the loss is steep.
                    double sq0 = 0, sq1 = 0;
                    for (int i = 0; i < PatchSize; i++)
                    {
                        int row = origin + i * width;
                        for (int j = 0; j < PatchSize; j++)
                        {
                            double d0 = e[row + j] - m0, d1 = target[row + j] - m1;
                            sq0 += d0 * d0;
                            sq1 += d1 * d1;
                        }
                    }
                    double v0 = sq0 / (PatchArea - 1), v1 = sq1 / (PatchArea - 1);

                    double dm = m0 - m1;
                    double k = Math.Log((v1 + Epsilon) / (v0 + Epsilon)) + (v0 + dm * dm) / (v1 + Epsilon) - 1;
                    loss += Math.Abs(k);

                    // d|k|/dk = sign(k), and torch's sign(0) = 0 leaves the tile's gradient 0.
                    if (!withGradient || k == 0) continue;
                    double sign = k > 0 ? 1.0 : -1.0;
                    double dkDv0 = -1.0 / (v0 + Epsilon) + 1.0 / (v1 + Epsilon);
                    double dkDm0 = 2.0 * dm / (v1 + Epsilon);
                    // dv0/dx_j = 2 (x_j - m0) / 15 (the sum of deviations is 0), dm0/dx_j = 1/16.
                    double perDeviation = sign * dkDv0 * 2.0 / (PatchArea - 1);
                    double constant = sign * dkDm0 / PatchArea;
                    for (int i = 0; i < PatchSize; i++)
                    {
                        int row = origin + i * width;
                        for (int j = 0; j < PatchSize; j++)
                            gradient[row + j] = (float)(perDeviation * (e[row + j] - m0) + constant);
                    }
                }
            }
        }
        return loss;
    }
}
