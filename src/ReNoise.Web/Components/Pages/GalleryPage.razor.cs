using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using ReNoise.Data;
using ReNoise.Web.Services;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Components.Pages;

[CreatesStudioSession]
public partial class GalleryPage
{
    private const string AllModels = "";

    /// <summary>Cards a page shows; only these rows are read.</summary>
    public const int PageSize = 24;

    /// <summary>Files one import may pick (a folder's files: manifest, arrays, images).</summary>
    private const int MaxImportFiles = 16;

    [Inject]
    private GalleryStore Gallery { get; set; } = default!;

    [Inject]
    private InversionArchives Archives { get; set; } = default!;

    [Inject]
    private GalleryEvents Events { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [CascadingParameter]
    public StudioSession Session { get; set; } = StudioSession.None;

    private InversionSort _sort = InversionSort.Newest;
    private string? _search;
    private string _model = AllModels;
    private int _pageNumber = 1;
    private GalleryListing? _page;
    private IReadOnlyList<string> _models = [];
    private readonly HashSet<Guid> _selected = [];
    private bool _importing;
    private string? _importError;
    private bool _interactive;

    private bool Filtered => !string.IsNullOrWhiteSpace(_search) || _model != AllModels;

    private int PageCount => _page is null ? 0 : Math.Max(1, (_page.Total + PageSize - 1) / PageSize);

    private string CountText
    {
        get
        {
            if (_page is null || _page.Total == 0) return "";
            int first = (_pageNumber - 1) * PageSize + 1, last = first + _page.Items.Count - 1;
            string what = _page.Total == 1 ? "1 inversion" : $"{_page.Total.ToString("N0", CultureInfo.InvariantCulture)} inversions";
            if (Filtered) what += " match";
            return PageCount > 1 ? $"{first}–{last} of {what}" : what;
        }
    }

    protected override async Task OnInitializedAsync() => await LoadAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            _interactive = true;
            StateHasChanged();
        }
    }

    private async Task LoadAsync()
    {
        if (!Session.Exists)
        {
            _page = new GalleryListing([], 0);
            return;
        }
        _models = await Gallery.ListInversionModelsAsync(Session.OwnerId);
        var query = new GalleryQuery
        {
            Search = _search, Model = _model == AllModels ? null : _model, Sort = _sort, Skip = (_pageNumber - 1) * PageSize, Take = PageSize,
        };
        _page = await Gallery.ListInversionsPageAsync(Session.OwnerId, query);
        if (_page.Items.Count == 0 && _pageNumber > 1)
        {
            // The last page emptied (deleted from): show the one before.
            _pageNumber = PageCount;
            _page = await Gallery.ListInversionsPageAsync(Session.OwnerId, query with { Skip = (_pageNumber - 1) * PageSize });
        }
    }

    private async Task SearchAsync(string? search)
    {
        _search = search;
        _pageNumber = 1;
        await LoadAsync();
    }

    private async Task FilterAsync(string model)
    {
        _model = model;
        _pageNumber = 1;
        await LoadAsync();
    }

    private async Task SortAsync(InversionSort sort)
    {
        _sort = sort;
        _pageNumber = 1;
        await LoadAsync();
    }

    private async Task GoToPageAsync(int page)
    {
        _pageNumber = page;
        await LoadAsync();
    }

    private void OnSelect((InversionSummary Item, bool Selected) change)
    {
        if (change.Selected) _selected.Add(change.Item.Id);
        else _selected.Remove(change.Item.Id);
    }

    private void SelectPage()
    {
        foreach (var item in _page?.Items ?? []) _selected.Add(item.Id);
    }

    private void ClearSelection() => _selected.Clear();

    private async Task DeleteAsync(InversionSummary item)
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync("Delete this inversion?",
            $"“{item.Prompt}”, all its edits and share links will be deleted. This cannot be undone.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        if (await Gallery.DeleteInversionAsync(Session.OwnerId, item.Id)) Snackbar.Add("Inversion deleted", Severity.Info);
        _selected.Remove(item.Id);
        Events.Changed(Session.OwnerId);
        await LoadAsync();
    }

    private async Task DeleteSelectedAsync()
    {
        int count = _selected.Count;
        bool? confirmed = await Dialogs.ShowMessageBoxAsync(count == 1 ? "Delete 1 inversion?" : $"Delete {count} inversions?",
            "They will be deleted with all their edits and share links. This cannot be undone.",
            yesText: count == 1 ? "Delete it" : $"Delete {count}", cancelText: "Cancel");
        if (confirmed != true) return;
        int deleted = await Gallery.DeleteInversionsAsync(Session.OwnerId, [.. _selected]);
        _selected.Clear();
        Snackbar.Add(deleted == 1 ? "1 inversion deleted" : $"{deleted} inversions deleted", Severity.Info);
        Events.Changed(Session.OwnerId);
        await LoadAsync();
    }

    /// <summary>An exported inversion (.zip), or the files of an inversion folder, into this browser's gallery.</summary>
    private async Task ImportAsync(InputFileChangeEventArgs e)
    {
        _importError = null;
        if (!Session.Exists)
        {
            _importError = "this browser has no studio session: allow cookies for this site and reload the page.";
            return;
        }
        if (e.FileCount > MaxImportFiles)
        {
            _importError = $"{e.FileCount} files were chosen; an inversion folder has at most {MaxImportFiles}.";
            return;
        }
        _importing = true;
        try
        {
            var files = new List<(string Name, byte[] Bytes)>();
            long total = 0;
            foreach (var file in e.GetMultipleFiles(MaxImportFiles))
            {
                total += file.Size;
                if (total > Archives.MaxArchiveBytes)
                {
                    _importError = $"the chosen files are larger than the {UploadValidator.FormatBytes(Archives.MaxArchiveBytes)} an import may be.";
                    return;
                }
                using var copy = new MemoryStream();
                await using (var stream = file.OpenReadStream(Archives.MaxArchiveBytes))
                    await stream.CopyToAsync(copy);
                files.Add((file.Name, copy.ToArray()));
            }
            var result = await Archives.ImportAsync(Session.OwnerId, files);
            if (result.InversionId is not Guid id)
            {
                _importError = result.Error;
                return;
            }
            Events.Changed(Session.OwnerId);
            Snackbar.Add("Inversion imported", Severity.Success);
            Navigation.NavigateTo($"/inversions/{id}");
        }
        catch (IOException ex)
        {
            _importError = $"the files could not be read ({ex.Message}).";
        }
        finally
        {
            _importing = false;
        }
    }
}
