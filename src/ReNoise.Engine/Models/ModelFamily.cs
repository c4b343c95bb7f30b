namespace ReNoise.Engine.Models;

/// <summary>
/// The Stable Diffusion generation a model folder belongs to. Pipelines differ by family
/// (SDXL's extra UNet conditioning, SD 1.x/2.x forward-noise and strength conventions, spec §5-§7).
/// </summary>
public enum ModelFamily
{
    /// <summary>A Stable Diffusion model whose generation the folder does not reveal.</summary>
    UnknownSd,
    /// <summary>SD 1.x (CLIP ViT-L text encoder, pad token &lt;|endoftext|&gt;).</summary>
    Sd1,
    /// <summary>SD 2.x and SD-Turbo (OpenCLIP ViT-H text encoder, pad token "!").</summary>
    Sd2,
    /// <summary>SDXL and SDXL-Turbo (two text encoders).</summary>
    Sdxl,
}
