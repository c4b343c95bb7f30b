using System.Globalization;
using Microsoft.Extensions.Options;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;

namespace ReNoise.Web.Services;

/// <summary>An upload that decoded: the file as sent, and the working-size image the model will see.</summary>
public sealed record PreparedUpload(byte[] Bytes, string FileName, int Width, int Height, string PreviewDataUrl);

/// <summary>Everything the studio form submits for one inversion.</summary>
public sealed record InversionSubmission(byte[] Image, string FileName, string Prompt, string Model, InversionParameters Parameters);

/// <summary>
/// Checks a submission before anything is stored or queued (bad input gives a clear message,
/// nothing stored, the queue unaffected): byte limit, a decodable image, a prompt, and parameters
/// the engine plans on the model (bounds, scheduler, size, a strength that inverts something).
/// </summary>
public sealed class UploadValidator(IOptions<StudioOptions> options, IModelCatalog catalog)
{
    public long MaxBytes { get; } = options.Value.Uploads.MaxBytes > 0 ? options.Value.Uploads.MaxBytes : UploadOptions.DefaultMaxBytes;

    /// <summary>"20 MB", "512 KB".</summary>
    public static string FormatBytes(long bytes) => bytes >= 1024 * 1024
        ? (bytes / (1024.0 * 1024)).ToString(bytes % (1024 * 1024) == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " MB"
        : (bytes / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " KB";

    /// <summary>Null when a file of this size may be uploaded, else the message.</summary>
    public string? CheckSize(string fileName, long size) => size > MaxBytes
        ? $"'{fileName}' is {FormatBytes(size)}; uploads are limited to {FormatBytes(MaxBytes)}"
        : size == 0 ? $"'{fileName}' is empty" : null;

    /// <summary>Decodes the upload at the working size; throws <see cref="ReNoiseInputException"/> with the loader's message.</summary>
    public PreparedUpload Prepare(byte[] bytes, string fileName, int width, int height)
    {
        if (CheckSize(fileName, bytes.LongLength) is { } tooLarge) throw new ReNoiseInputException(tooLarge);
        using var stream = new MemoryStream(bytes, writable: false);
        RgbImage image = ImageLoader.Load(stream, width, height, fileName);
        return new PreparedUpload(bytes, fileName, image.Width, image.Height, ImageEncoding.DataUrl(ImageEncoding.ToJpeg(image), "image/jpeg"));
    }

    /// <summary>
    /// The engine's plan of the prompt and parameters on the model, or the first problem in the
    /// page's words (parameters named by their field labels).
    /// </summary>
    public (InversionPlan? Plan, string? Error) Plan(string? prompt, StudioModel model, InversionParameters parameters)
    {
        if (string.IsNullOrWhiteSpace(prompt)) return (null, "The source prompt is empty: describe what the image shows.");
        try
        {
            return (catalog.Plan(model.Name, new InversionRequest { Prompt = prompt.Trim(), Parameters = parameters }), null);
        }
        catch (ReNoiseInputException e)
        {
            return (null, ParameterLabels.Describe(e));
        }
    }

    /// <summary>Null when the prompt and parameters are acceptable for the model, else the problem.</summary>
    public string? Check(string? prompt, StudioModel model, InversionParameters parameters) => Plan(prompt, model, parameters).Error;

    /// <summary>The whole submission; null when it may be queued.</summary>
    public string? Check(InversionSubmission submission, StudioModel model)
    {
        if (CheckSize(submission.FileName, submission.Image.LongLength) is { } size) return size;
        var (plan, error) = Plan(submission.Prompt, model, submission.Parameters);
        if (plan is null) return error;
        try
        {
            Prepare(submission.Image, submission.FileName, plan.Width, plan.Height);
            return null;
        }
        catch (ReNoiseInputException e)
        {
            return e.Message;
        }
    }
}
