namespace ReNoise.Engine.Models;

/// <summary>
/// Which published model a folder most likely holds, as far as its configs tell (see
/// <see cref="ModelFolder.Variant"/>). It picks the paper's preset (<see cref="ModelPreset"/>);
/// <see cref="ModelFamily"/> keeps deciding the pipeline rules.
/// </summary>
public enum ModelVariant
{
    /// <summary>A Stable Diffusion model whose generation the folder does not reveal (treated as SD).</summary>
    UnknownSd,
    /// <summary>SD 1.x (e.g. runwayml/stable-diffusion-v1-5).</summary>
    Sd1,
    /// <summary>SD 2.x (e.g. stabilityai/stable-diffusion-2-1).</summary>
    Sd2,
    /// <summary>SD-Turbo: adversarially distilled SD 2.1, a few trailing-spaced steps.</summary>
    SdTurbo,
    /// <summary>SDXL base.</summary>
    Sdxl,
    /// <summary>SDXL-Turbo.</summary>
    SdxlTurbo,
    /// <summary>A latent consistency model of the SD 1.x/2.x family (e.g. SimianLuo/LCM_Dreamshaper_v7), or SD with an LCM scheduler.</summary>
    Lcm,
    /// <summary>SDXL distilled to a latent consistency model (LCM-SDXL, SDXL with LCM-LoRA fused), or SDXL with an LCM scheduler.</summary>
    SdxlLcm,
}
