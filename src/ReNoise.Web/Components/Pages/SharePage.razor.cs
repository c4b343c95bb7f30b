using System.Globalization;
using Microsoft.AspNetCore.Components;
using ReNoise.Data;

namespace ReNoise.Web.Components.Pages;

public partial class SharePage
{
    [Inject]
    private GalleryStore Gallery { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Parameter]
    public string Token { get; set; } = "";

    private SharedInversionView? _view;

    /// <summary>The tab's title: what the link shows, the edit's prompt for an edit's link.</summary>
    private string Title => _view is null ? "Not found · ReNoise Studio" : $"{OgTitle} · ReNoise Studio";

    private string OgTitle => _view?.Edit is { } edit ? $"“{edit.Prompt}”" : $"“{_view?.Prompt}”";

    private string Description => _view?.Edit is { } edit
        ? string.Create(CultureInfo.InvariantCulture,
            $"An edit of a photo inverted with ReNoise: “{_view.Prompt}” edited to “{edit.Prompt}” (edit guidance {edit.Guidance}) on {_view.ModelName}.")
        : string.Create(CultureInfo.InvariantCulture,
            $"A photo inverted into {_view?.ModelName}'s noise space with ReNoise, and its reconstruction ({_view?.Psnr:0.0} dB PSNR, {_view?.Nfe} model calls).");

    private string PageUrl => Navigation.ToAbsoluteUri($"/s/{Token}").ToString();

    /// <summary>The picture a link preview shows: the edit for an edit's link, the reconstruction otherwise.</summary>
    private string ImageUrl => Navigation.ToAbsoluteUri($"/s/{Token}/{(_view?.Edit is null ? "reconstruction" : "edit")}.png").ToString();

    private string Aspect => _view is null ? "1 / 1" : $"{_view.Width} / {_view.Height}";

    protected override async Task OnParametersSetAsync()
    {
        _view = await Gallery.ResolveShareLinkAsync(Token);
        if (_view is null) Navigation.NotFound();
    }
}
