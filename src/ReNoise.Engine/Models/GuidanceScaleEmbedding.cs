namespace ReNoise.Engine.Models;

/// <summary>
/// The guidance-scale embedding that LCM-distilled UNets take as <c>timestep_cond</c> (diffusers'
/// <c>get_guidance_scale_embedding</c>): for a value v (the pipeline passes w - 1),
/// half = dim / 2 frequencies f_k = exp(-k ln(10000) / (half - 1)), then
/// [sin(1000 v f_0 .. f_{half-1}), cos(1000 v f_0 .. f_{half-1})], zero-padded when dim is odd.
/// Computed in float64 and rounded once (diffusers works in float32; the two differ by ~1e-4 at w = 8.5).
/// </summary>
internal static class GuidanceScaleEmbedding
{
    /// <summary>diffusers' default guidance scale of LatentConsistencyModelPipeline.</summary>
    public const double DefaultGuidanceScale = 8.5;

    /// <summary>The embedding an LCM pipeline feeds for guidance scale <paramref name="guidanceScale"/> (of w - 1).</summary>
    public static float[] ForGuidanceScale(double guidanceScale, int dimension)
    {
        var embedding = new float[dimension];
        Compute(guidanceScale - 1.0, embedding);
        return embedding;
    }

    /// <summary>Writes the embedding of <paramref name="value"/> into <paramref name="destination"/> (its length is the dimension).</summary>
    public static void Compute(double value, Span<float> destination)
    {
        int dimension = destination.Length;
        if (dimension < 4)
            throw new ArgumentException($"the embedding needs at least 4 dimensions (2 frequencies), got {dimension}", nameof(destination));
        int half = dimension / 2;
        double step = Math.Log(10000.0) / (half - 1);
        double scaled = value * 1000.0;
        for (int k = 0; k < half; k++)
        {
            double argument = scaled * Math.Exp(-k * step);
            destination[k] = (float)Math.Sin(argument);
            destination[half + k] = (float)Math.Cos(argument);
        }
        if (dimension % 2 == 1) destination[dimension - 1] = 0f;
    }
}
