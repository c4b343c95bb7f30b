using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;
using ReNoise.Web.Services;

namespace ReNoise.Web.Components.Shared;

public partial class UploadForm
{
    [Inject]
    private UploadValidator Validator { get; set; } = default!;

    [Inject]
    private IModelCatalog Catalog { get; set; } = default!;

    [Inject]
    private JobBudget Budget { get; set; } = default!;

    [Parameter]
    public EventCallback<InversionSubmission> OnSubmit { get; set; }

    /// <summary>Why the last submission was refused by the queue (e.g. full), shown with the form's own errors.</summary>
    [Parameter]
    public string? ServerError { get; set; }

    [Parameter]
    public bool Busy { get; set; }

    private string _modelName = "";
    private InversionParameters _parameters = InversionParameters.Default;
    private bool _advancedOpen;
    private string? _prompt;
    private byte[]? _bytes;
    private string _fileName = "";
    private PreparedUpload? _upload;
    private string? _uploadError;
    private string? _formError;
    private bool _reading;
    private bool _dragging;
    private string? _inputError;
    private bool _ready;

    /// <summary>
    /// False while prerendered (no circuit yet) and until the first interactive render is in the browser
    /// (the file input's script is attached then): the inputs stay disabled, so nothing typed or picked is lost.
    /// </summary>
    private bool Interactive => _ready;

    protected override void OnAfterRender(bool firstRender)
    {
        // The file input attaches its script after its first interactive render; this render, which
        // enables the inputs, reaches the browser after that.
        if (firstRender && RendererInfo.IsInteractive)
        {
            _ready = true;
            StateHasChanged();
        }
    }

    private StudioModel Model => Catalog.Find(_modelName) ?? Catalog.Default;

    private string DropzoneClass => "dropzone" + (_dragging ? " dragging" : "") + (_upload is not null ? " has-image" : "");

    protected override void OnInitialized()
    {
        _modelName = Catalog.Default.Name;
        ResetToPreset();
    }

    private async Task OnFileSelectedAsync(InputFileChangeEventArgs e)
    {
        _dragging = false;
        _upload = null;
        _bytes = null;
        _uploadError = null;
        var file = e.File;
        if (Validator.CheckSize(file.Name, file.Size) is { } tooLarge)
        {
            _uploadError = tooLarge;
            Recheck();
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
        var (prepared, problem) = bytes is null ? (null, error) : await PrepareAsync(bytes, file.Name);
        // Set together, so no render shows a preview while the form still counts as reading.
        (_bytes, _fileName, _upload, _uploadError, _reading) = (prepared is null ? null : bytes, file.Name, prepared, problem, false);
        Recheck();
    }

    /// <summary>Decodes an upload at the working size, once (the job keeps this decode), off the circuit's thread.</summary>
    private async Task<(PreparedUpload? Upload, string? Error)> PrepareAsync(byte[] bytes, string name)
    {
        int width = _parameters.Width ?? Model.ImageSize, height = _parameters.Height ?? Model.ImageSize;
        try
        {
            return (await Validator.PrepareAsync(bytes, name, width, height), null);
        }
        catch (ReNoiseInputException ex)
        {
            return (null, ex.Message);
        }
    }

    private async Task OnModelChangedAsync(string name)
    {
        bool changed = !string.Equals(name, _modelName, StringComparison.OrdinalIgnoreCase);
        _modelName = name;
        if (!changed) return;
        ResetToPreset();
        if (_bytes is { } bytes) // a different working size
        {
            var (prepared, problem) = await PrepareAsync(bytes, _fileName);
            (_upload, _uploadError) = (prepared, problem);
            if (prepared is null) _bytes = null;
        }
    }

    private void ResetToPreset()
    {
        // The preset's sampler only when it differs from the model's own (the picker then reads "the model's own").
        _parameters = Model.Defaults is { Scheduler: { } s } defaults && s == Model.Scheduler ? defaults with { Scheduler = null } : Model.Defaults;
        _formError = null;
    }

    private void OnParametersChanged(InversionParameters parameters)
    {
        _parameters = parameters;
        Recheck();
    }

    private void OnInputErrorChanged(string? error)
    {
        _inputError = error;
        Recheck();
    }

    /// <summary>A shown problem stays until it is fixed, then goes away without another click.</summary>
    private void Recheck()
    {
        if (_formError is not null) _formError = Problem();
    }

    private string? Problem() =>
        _inputError is not null ? _inputError
        : _upload is null
            ? _uploadError is null ? "Choose a photo to invert: drop it on the box or click the box." : "Choose a readable photo first."
            : Validator.Check(_prompt, Model, _parameters);

    private async Task SubmitAsync()
    {
        _formError = Problem();
        if (_formError is not null)
        {
            if (_inputError is not null || (_upload is not null && _parameters.Validate().Count > 0)) _advancedOpen = true; // show the field at fault
            return;
        }
        await OnSubmit.InvokeAsync(new InversionSubmission(_upload!.Bytes, _upload.FileName, _prompt!.Trim(), Model.Name, _parameters) { Prepared = _upload });
    }
}
