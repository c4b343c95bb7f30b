using System.Globalization;
using Microsoft.Extensions.Options;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;

namespace ReNoise.Web.Services;

/// <summary>
/// An upload decoded once, at the working size: the file as sent (kept only while the form is open, to
/// decode again if the working size changes), the working-size image as PNG (what the job keeps) and
/// a JPEG preview.
/// </summary>
public sealed record PreparedUpload(byte[] Bytes, string FileName, int Width, int Height, byte[] WorkingPng, string PreviewDataUrl);

/// <summary>
/// Everything the studio form submits for one inversion. <see cref="Prepared"/>, when the form already
/// decoded <see cref="Image"/> at the planned working size, spares a second decode.
/// </summary>
public sealed record InversionSubmission(byte[] Image, string FileName, string Prompt, string Model, InversionParameters Parameters)
{
    public PreparedUpload? Prepared { get; init; }
}

/// <summary>A submission that may be queued: the plan, its model calls and the upload at working size (PNG).</summary>
public sealed record CheckedSubmission(InversionPlan Plan, int ModelCalls, byte[] WorkingPng);

/// <summary>
/// Checks a submission before anything is stored or queued (bad input gives a clear message,
/// nothing stored, the queue unaffected): byte limit, a decodable image within the engine's pixel
/// limit, a prompt, parameters the engine plans on the model (bounds, scheduler, size, a strength
/// that inverts something) and the job budget. Decoding is bounded: at most
/// <see cref="UploadOptions.DecodeConcurrency"/> uploads decode at once; the others wait.
/// </summary>
public sealed class UploadValidator(IOptions<StudioOptions> options, IModelCatalog catalog, JobBudget budget) : IDisposable
{
    private readonly SemaphoreSlim _decoding = new(Math.Max(1, options.Value.Uploads.DecodeConcurrency));

    public long MaxBytes { get; } = options.Value.Uploads.MaxBytes > 0 ? options.Value.Uploads.MaxBytes : UploadOptions.DefaultMaxBytes;

    /// <summary>Decodes running now (for tests and diagnostics).</summary>
    public int DecodesInFlight => Math.Max(1, options.Value.Uploads.DecodeConcurrency) - _decoding.CurrentCount;

    /// <summary>"20 MB", "512 KB".</summary>
    public static string FormatBytes(long bytes) => bytes >= 1024 * 1024
        ? (bytes / (1024.0 * 1024)).ToString(bytes % (1024 * 1024) == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " MB"
        : (bytes / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " KB";

    /// <summary>Null when a file of this size may be uploaded, else the message.</summary>
    public string? CheckSize(string fileName, long size) => size > MaxBytes
        ? $"'{fileName}' is {FormatBytes(size)}; uploads are limited to {FormatBytes(MaxBytes)}"
        : size == 0 ? $"'{fileName}' is empty" : null;

    /// <summary>
    /// Decodes the upload at the working size, waiting for a decoding slot; throws
    /// <see cref="ReNoiseInputException"/> with the loader's message (unreadable, too many pixels...).
    /// </summary>
    public async Task<PreparedUpload> PrepareAsync(byte[] bytes, string fileName, int width, int height, CancellationToken cancellationToken = default)
    {
        if (CheckSize(fileName, bytes.LongLength) is { } tooLarge) throw new ReNoiseInputException(tooLarge);
        await _decoding.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() =>
            {
                using var stream = new MemoryStream(bytes, writable: false);
                RgbImage image = ImageLoader.Load(stream, width, height, fileName);
                return new PreparedUpload(bytes, fileName, image.Width, image.Height, ImageEncoding.ToPng(image),
                    ImageEncoding.DataUrl(ImageEncoding.ToJpeg(image), "image/jpeg"));
            }, cancellationToken);
        }
        finally
        {
            _decoding.Release();
        }
    }

    /// <summary>
    /// The engine's plan of the prompt and parameters on the model, or the first problem in the
    /// page's words (parameters named by their field labels), the job budget included.
    /// </summary>
    public (InversionPlan? Plan, string? Error) Plan(string? prompt, StudioModel model, InversionParameters parameters)
    {
        if (string.IsNullOrWhiteSpace(prompt)) return (null, "The source prompt is empty: describe what the image shows.");
        InversionPlan plan;
        try
        {
            plan = catalog.Plan(model.Name, new InversionRequest { Prompt = prompt.Trim(), Parameters = parameters });
        }
        catch (ReNoiseInputException e)
        {
            return (null, ParameterLabels.Describe(e));
        }
        return budget.CheckInversion(plan) is { } overBudget ? (null, overBudget) : (plan, null);
    }

    /// <summary>Null when the prompt and parameters are acceptable for the model, else the problem.</summary>
    public string? Check(string? prompt, StudioModel model, InversionParameters parameters) => Plan(prompt, model, parameters).Error;

    /// <summary>
    /// The whole submission: its plan and the upload at working size, decoded here only when the form
    /// did not already decode it at that size; or the problem.
    /// </summary>
    public async Task<(CheckedSubmission? Checked, string? Error)> CheckAsync(InversionSubmission submission, StudioModel model,
        CancellationToken cancellationToken = default)
    {
        if (CheckSize(submission.FileName, submission.Image.LongLength) is { } size) return (null, size);
        var (plan, error) = Plan(submission.Prompt, model, submission.Parameters);
        if (plan is null) return (null, error);
        if (submission.Prepared is { } prepared && ReferenceEquals(prepared.Bytes, submission.Image)
            && prepared.Width == plan.Width && prepared.Height == plan.Height)
            return (new CheckedSubmission(plan, JobBudget.InversionCalls(plan), prepared.WorkingPng), null);
        try
        {
            var upload = await PrepareAsync(submission.Image, submission.FileName, plan.Width, plan.Height, cancellationToken);
            return (new CheckedSubmission(plan, JobBudget.InversionCalls(plan), upload.WorkingPng), null);
        }
        catch (ReNoiseInputException e)
        {
            return (null, e.Message);
        }
    }

    public void Dispose() => _decoding.Dispose();
}
