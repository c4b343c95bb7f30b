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

    protected override async Task OnParametersSetAsync()
    {
        _view = await Gallery.ResolveShareLinkAsync(Token);
        if (_view is null) Navigation.NotFound();
    }
}
