using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.JSInterop;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Services;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Components.Shared;

/// <summary>What the studio form starts from when re-inverting a gallery item: its stored photo, prompt, model and parameters.</summary>
public sealed record StudioDraft(byte[] Photo, string FileName, int Width, int Height, string Prompt, string Model, InversionParameters Parameters);

/// <summary>One line of the form's list of problems: a field to go to (its label), or a message that belongs to no field.</summary>
public sealed record FormSummaryItem(string Text, string? FieldId);

public partial class UploadForm
{
    [Inject]
    private UploadValidator Validator { get; set; } = default!;

    [Inject]
    private IModelCatalog Catalog { get; set; } = default!;

    [Inject]
    private JobBudget Budget { get; set; } = default!;

    [Inject]
    private PromptTokenCounter Tokens { get; set; } = default!;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [CascadingParameter]
    public StudioSession Session { get; set; } = StudioSession.None;

    [Parameter]
    public EventCallback<InversionSubmission> OnSubmit { get; set; }

    /// <summary>Why the last submission was refused by the queue (e.g. full), shown under the form.</summary>
    [Parameter]
    public string? ServerError { get; set; }

    [Parameter]
    public bool Busy { get; set; }

    /// <summary>A gallery item to invert again with new settings (photo, prompt, model and parameters prefilled).</summary>
    [Parameter]
    public StudioDraft? Draft { get; set; }

    private string _modelName = "";
    private InversionParameters _parameters = InversionParameters.Default;
    private string _presetName = "";
    private InversionParameters _presetParameters = InversionParameters.Default;
    private bool _advancedOpen;
    private string? _prompt;
    private byte[]? _bytes;
    private string _fileName = "";
    private PreparedUpload? _upload;
    private ImageFit _fit = ImageFit.CentreCrop;
    private string? _sourcePreview;
    private string? _uploadError;
    private bool _reading;
    private bool _dragging;
    private bool _ready;
    private bool _attempted;
    private int _prepareRun;
    private string? _focusAfterRender;
    private IReadOnlyList<FormProblem> _problems = [];
    private PromptTokenCount? _tokens;
    private readonly Dictionary<string, FieldInputError> _inputErrors = [];

    /// <summary>
    /// False while prerendered (no circuit yet) and until the first interactive render is in the browser
    /// (the file input's script is attached then): the inputs stay disabled, so nothing typed or picked is lost.
    /// </summary>
    private bool Interactive => _ready;

    private StudioModel Model => Catalog.Find(_modelName) ?? Catalog.Default;

    private int WorkingWidth => _parameters.Width ?? Model.ImageSize;

    private int WorkingHeight => _parameters.Height ?? Model.ImageSize;

    private (int Width, int Height)? PhotoSize => _upload is { SourceWidth: > 0 } u ? (u.SourceWidth, u.SourceHeight) : null;

    private string DropzoneClass => "dropzone" + (_dragging ? " dragging" : "") + (_upload is not null ? " has-image" : "")
                                    + (_attempted && PhotoProblem is not null ? " invalid" : "");

    private string FitWords => _upload?.Fit.Mode switch
    {
        ImageFitMode.Pad => "fitted with padding",
        ImageFitMode.Region => "the chosen region",
        _ => "centre crop",
    };

    private string PresetChip => _parameters == _presetParameters ? $"preset: {_presetName}" : $"preset: {_presetName} · changed";

    /// <summary>Why there is no photo to submit (the reading error itself shows at the drop zone).</summary>
    private string? PhotoProblem => _upload is not null ? null
        : _uploadError is not null ? "Choose a readable photo."
        : "Choose a photo to invert: drop it on the box or click the box.";

    private string? PromptError => _attempted ? _problems.FirstOrDefault(p => p.Field == FormField.Prompt)?.Message : null;

    /// <summary>The plan's problems with parameters, by parameter, for their fields.</summary>
    private IReadOnlyDictionary<ParameterKey, string> ParameterProblems => _problems
        .Where(p => p.Field == FormField.Parameter && p.Key is not null)
        .GroupBy(p => p.Key!.Value)
        .ToDictionary(g => g.Key, g => g.First().Message);

    /// <summary>Every problem once: a field's label (its message is at the field), or the message of a problem that has no field.</summary>
    private IReadOnlyList<FormSummaryItem> Summary
    {
        get
        {
            var items = new List<FormSummaryItem>();
            if (PhotoProblem is not null) items.Add(new("Photo", "upload-input"));
            if (_problems.Any(p => p.Field == FormField.Prompt)) items.Add(new("Source prompt", "prompt-input"));
            var marked = new HashSet<string>();
            foreach (var input in _inputErrors.Values)
                if (marked.Add(input.InputId)) items.Add(new(input.Label, input.InputId));
            foreach (var problem in _problems.Where(p => p.Field == FormField.Parameter))
            {
                string? input = problem.Key is { } key ? FieldOf(key) : null;
                if (input is null) items.Add(new(problem.Message, null));
                else if (marked.Add(input)) items.Add(new(ParameterLabels.Label(problem.Key!.Value), input));
            }
            items.AddRange(_problems.Where(p => p.Field == FormField.Form).Select(p => new FormSummaryItem(p.Message, null)));
            return items;
        }
    }

    /// <summary>The input that edits a parameter, when the form has one.</summary>
    private static string? FieldOf(ParameterKey key) => key switch
    {
        ParameterKey.Width => "param-width",
        ParameterKey.Height => "param-height",
        _ => ParameterPanel.FieldIds.GetValueOrDefault(key),
    };

    protected override void OnInitialized()
    {
        if (Draft is { } draft)
        {
            _modelName = (Catalog.Find(draft.Model) ?? Catalog.Default).Name;
            SetPresetToModels();
            _parameters = AsForm(draft.Parameters);
            _prompt = draft.Prompt;
        }
        else
        {
            _modelName = Catalog.Default.Name;
            SetPresetToModels();
            _parameters = _presetParameters;
        }
        Recheck();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // The file input attaches its script after its first interactive render; this render, which
        // enables the inputs, reaches the browser after that.
        if (firstRender && RendererInfo.IsInteractive)
        {
            _ready = true;
            if (Draft is { } draft)
            {
                (_bytes, _fileName) = (draft.Photo, draft.FileName);
                await ReprepareAsync();
            }
            StateHasChanged();
        }
        if (_focusAfterRender is { } field)
        {
            _focusAfterRender = null;
            try
            {
                await JS.InvokeAsync<bool>("reNoiseStudio.focus", field);
            }
            catch (JSDisconnectedException)
            {
                // The browser went away.
            }
        }
    }

    private async Task OnFileSelectedAsync(InputFileChangeEventArgs e)
    {
        _dragging = false;
        _upload = null;
        _bytes = null;
        _sourcePreview = null;
        _uploadError = null;
        _fit = ImageFit.CentreCrop;
        var file = e.File;
        if (Validator.CheckSize(file.Name, file.Size) is { } tooLarge)
        {
            _uploadError = tooLarge;
            return;
        }
        _reading = true;
        byte[]? bytes = null;
        string? error = null;
        try
        {
            using var copy = new MemoryStream();
            await using (var stream = file.OpenReadStream(Validator.MaxBytes))
                await stream.CopyToAsync(copy);
            bytes = copy.ToArray();
        }
        catch (IOException ex)
        {
            error = $"'{file.Name}' could not be read ({ex.Message})";
        }
        _fileName = file.Name;
        if (bytes is null)
        {
            (_uploadError, _reading) = (error, false);
            return;
        }
        _bytes = bytes;
        await ReprepareAsync();
    }

    /// <summary>
    /// Decodes the photo at the working size with the chosen fit (the job keeps this decode), off the
    /// circuit's thread; a later call wins over one still running. A size that cannot be decoded to
    /// (being typed) leaves the last preview.
    /// </summary>
    private async Task ReprepareAsync()
    {
        if (_bytes is not { } bytes || !Decodable(WorkingWidth) || !Decodable(WorkingHeight)) return;
        int run = ++_prepareRun;
        _reading = true;
        PreparedUpload? prepared = null;
        string? problem = null;
        try
        {
            prepared = await Validator.PrepareAsync(bytes, _fileName, WorkingWidth, WorkingHeight, _fit);
        }
        catch (ReNoiseInputException ex)
        {
            problem = ex.Message;
        }
        if (run != _prepareRun) return;
        // Set together, so no render shows a preview while the form still counts as reading.
        (_upload, _uploadError, _reading) = (prepared, problem, false);
        if (prepared is null) _bytes = null;
        if (_fit.Mode == ImageFitMode.Region) await LoadSourcePreviewAsync();
    }

    private static bool Decodable(int side)
    {
        var (min, max) = WorkingSizes.Range;
        return side >= min && side <= max && side % InversionParameters.SideMultiple == 0;
    }

    private async Task LoadSourcePreviewAsync()
    {
        if (_sourcePreview is not null || _bytes is not { } bytes) return;
        try
        {
            _sourcePreview = await Validator.SourcePreviewAsync(bytes, _fileName);
        }
        catch (ReNoiseInputException ex)
        {
            _uploadError = ex.Message;
        }
    }

    private async Task OnFitChangedAsync(ImageFit fit)
    {
        _fit = fit;
        await ReprepareAsync();
    }

    private async Task OnSizeChangedAsync((int Width, int Height) size)
    {
        _parameters = _parameters with { Width = size.Width, Height = size.Height };
        // A region was chosen for the old shape: start from the centre crop of the new one.
        if (_fit.Mode == ImageFitMode.Region) _fit = ImageFit.CentreCrop;
        Recheck();
        await ReprepareAsync();
    }

    private async Task OnModelChangedAsync(string name)
    {
        bool changed = !string.Equals(name, _modelName, StringComparison.OrdinalIgnoreCase);
        _modelName = name;
        if (!changed) return;
        SetPresetToModels();
        _parameters = _presetParameters;
        if (_fit.Mode == ImageFitMode.Region) _fit = ImageFit.CentreCrop;
        Recheck();
        await ReprepareAsync(); // the working size may differ
    }

    /// <summary>
    /// A stored inversion's parameters as the form holds them: the sampler and working size that the
    /// model's own imply are left implicit, as in its preset (a stored row names them), so that
    /// re-inverting with unchanged values reads "preset: …", not "changed".
    /// </summary>
    private InversionParameters AsForm(InversionParameters stored)
    {
        bool ownSampler = _presetParameters.Scheduler is null && string.Equals(stored.Scheduler, Model.Scheduler, StringComparison.OrdinalIgnoreCase);
        bool nativeSize = _presetParameters.Width is null && _presetParameters.Height is null
                          && stored.Width == Model.ImageSize && stored.Height == Model.ImageSize;
        return stored with
        {
            Scheduler = ownSampler ? null : stored.Scheduler,
            Width = nativeSize ? null : stored.Width,
            Height = nativeSize ? null : stored.Height,
        };
    }

    /// <summary>The model's own preset; its sampler only when it differs from the model's own (the picker then reads "the model's own").</summary>
    private void SetPresetToModels()
    {
        _presetName = Model.Preset.Name;
        _presetParameters = Model.Defaults is { Scheduler: { } s } defaults && s == Model.Scheduler ? defaults with { Scheduler = null } : Model.Defaults;
    }

    private async Task ApplyPresetAsync(StudioPreset? preset)
    {
        var size = (WorkingWidth, WorkingHeight);
        if (preset is null) SetPresetToModels();
        else (_presetName, _presetParameters) = (preset.Name, preset.Parameters);
        _parameters = _presetParameters;
        Recheck();
        if ((WorkingWidth, WorkingHeight) != size) await ReprepareAsync();
    }

    private void OnPresetDeleted() => SetPresetToModels();

    private async Task ResetToPresetAsync()
    {
        var size = (WorkingWidth, WorkingHeight);
        _parameters = _presetParameters;
        Recheck();
        if ((WorkingWidth, WorkingHeight) != size) await ReprepareAsync();
    }

    private void OnPromptChanged(string? prompt)
    {
        _prompt = prompt;
        Recheck();
    }

    private void OnParametersChanged(InversionParameters parameters)
    {
        _parameters = parameters;
        Recheck();
    }

    private void OnInputErrorChanged(FieldInputError error)
    {
        if (error.Message is null) _inputErrors.Remove(error.InputId);
        else _inputErrors[error.InputId] = error;
    }

    /// <summary>Plans the prompt and parameters again: every problem, and the prompt's tokens.</summary>
    private void Recheck()
    {
        (_, _problems) = Validator.Review(_prompt, Model, _parameters);
        _tokens = string.IsNullOrWhiteSpace(_prompt) ? null : Tokens.Count(Model.Name, _prompt);
    }

    private void FocusField(string field)
    {
        // A field in the closed Advanced panel is rendered once the panel opens.
        if (field.StartsWith("param-", StringComparison.Ordinal) && field is not ("param-width" or "param-height")) _advancedOpen = true;
        _focusAfterRender = field;
    }

    private async Task SubmitAsync()
    {
        _attempted = true;
        Recheck();
        if (Summary.Count > 0)
        {
            // Show the fields at fault that the Advanced panel hides.
            if (_inputErrors.Keys.Concat(ParameterProblems.Keys.Select(FieldOf).OfType<string>())
                .Any(f => f is not ("param-width" or "param-height")))
                _advancedOpen = true;
            return;
        }
        await OnSubmit.InvokeAsync(new InversionSubmission(_upload!.Bytes, _upload.FileName, _prompt!.Trim(), Model.Name, _parameters)
        {
            Prepared = _upload,
            Fit = _fit,
        });
    }
}
