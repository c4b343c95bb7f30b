using ReNoise.Engine.Models;

namespace ReNoise.Web.Services;

/// <summary>Model families as people name them ("SD 2.x"), not as the enum spells them ("Sd2").</summary>
public static class ModelFamilies
{
    public static string Display(ModelFamily family) => family switch
    {
        ModelFamily.Sd1 => "SD 1.x",
        ModelFamily.Sd2 => "SD 2.x",
        ModelFamily.Sdxl => "SDXL",
        _ => "Stable Diffusion",
    };

    /// <summary>A family as a gallery row or manifest stores it (the enum's name); an unknown word is shown as it is.</summary>
    public static string Display(string? family) =>
        Enum.TryParse(family, ignoreCase: true, out ModelFamily parsed) && Enum.IsDefined(parsed) ? Display(parsed) : family ?? "";
}
