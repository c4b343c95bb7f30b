using Microsoft.AspNetCore.Components;
using MudBlazor;
using ReNoise.Data;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Components.Pages;

[CreatesStudioSession]
public partial class GalleryPage
{
    [Inject]
    private GalleryStore Gallery { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [CascadingParameter]
    public StudioSession Session { get; set; } = StudioSession.None;

    private InversionSort _sort = InversionSort.Newest;
    private IReadOnlyList<InversionSummary>? _items;

    protected override async Task OnInitializedAsync() => await LoadAsync();

    private async Task LoadAsync() =>
        _items = Session.Exists ? await Gallery.ListInversionsAsync(Session.OwnerId, _sort) : [];

    private async Task SortAsync(InversionSort sort)
    {
        _sort = sort;
        await LoadAsync();
    }

    private async Task DeleteAsync(InversionSummary item)
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync("Delete this inversion?",
            $"“{item.Prompt}”, all its edits and share links will be deleted. This cannot be undone.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        if (await Gallery.DeleteInversionAsync(Session.OwnerId, item.Id)) Snackbar.Add("Inversion deleted", Severity.Info);
        await LoadAsync();
    }
}
