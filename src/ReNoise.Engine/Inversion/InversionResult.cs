using ReNoise.Engine.Imaging;

namespace ReNoise.Engine.Inversion;

/// <summary>An inversion as run: the inverted latent, the images, the path and the figures.</summary>
public sealed class InversionResult
{
    /// <summary>The inverted latent and what editing and reconstruction need.</summary>
    public required InvertedLatent Inversion { get; init; }

    public required InversionPlan Plan { get; init; }

    /// <summary>The photo at working size, as the model saw it.</summary>
    public required RgbImage Input { get; init; }

    /// <summary>The inversion denoised with the source prompt (spec §9).</summary>
    public required RgbImage Reconstruction { get; init; }

    /// <summary>z0: the encoded photo, scaled.</summary>
    public required float[] CleanLatent { get; init; }

    /// <summary>z0, then the latent after each inversion step (lowest noise first).</summary>
    public required IReadOnlyList<float[]> Trajectory { get; init; }

    /// <summary>
    /// Per inversion step (lowest noise first, as <see cref="InversionPlan.InvertedTimesteps"/>): the
    /// fixed-point residual of each renoise iteration run.
    /// </summary>
    public required IReadOnlyList<float[]> Residuals { get; init; }

    /// <summary>UNet calls the inversion made (a batched call counts once).</summary>
    public required int Nfe { get; init; }

    /// <summary>Calls adaptive renoise saved against running every iteration.</summary>
    public required int NfeSaved { get; init; }

    public required double Psnr { get; init; }
    public required double Ssim { get; init; }

    /// <summary>The plan's warnings and those the run added.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>Wall time of the inversion itself (encoding included, reconstruction not).</summary>
    public required TimeSpan InversionTime { get; init; }

    public bool PromptTruncated => Plan.PromptTruncated;
}

/// <summary>A denoising run from an inversion: a reconstruction or an edit.</summary>
public sealed class DenoiseResult
{
    public required RgbImage Image { get; init; }
    public required float[] Latent { get; init; }
    public required int Nfe { get; init; }
    public required bool PromptTruncated { get; init; }
}
