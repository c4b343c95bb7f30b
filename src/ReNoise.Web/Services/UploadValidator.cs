using System.Globalization;
using Microsoft.Extensions.Options;
using ReNoise.Engine;
using ReNoise.Engine.Imaging;
using ReNoise.Engine.Inversion;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;

namespace ReNoise.Web.Services;

/// <summary>An upload that decoded: the file as sent, and the working-size image the model will see.</summary>
public sealed record PreparedUpload(byte[] Bytes, string FileName, int Width, int Height, string PreviewDataUrl);

/// <summary>Everything the studio form submits for one inversion.</summary>
public sealed record InversionSubmission(byte[] Image, string FileName, string Prompt, string Model, string? Scheduler, ParameterSet Parameters);

/// <summary>
/// Checks a submission before anything is stored or queued (issue: bad input gives a clear message,
/// nothing stored, the queue unaffected): byte limit, decodable image within 8192 px, a prompt,
/// parameters the engine accepts and a strength that inverts at least one timestep.
/// </summary>
public sealed class UploadValidator(IOptions<StudioOptions> options)
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

    /// <summary>Decodes the upload at the model's working size; throws <see cref="ReNoiseInputException"/> with the loader's message.</summary>
    public PreparedUpload Prepare(byte[] bytes, string fileName, StudioModel model)
    {
        if (CheckSize(fileName, bytes.LongLength) is { } tooLarge) throw new ReNoiseInputException(tooLarge);
        using var stream = new MemoryStream(bytes, writable: false);
        RgbImage image = ImageLoader.Load(stream, model.ImageSize, model.ImageSize, fileName);
        return new PreparedUpload(bytes, fileName, image.Width, image.Height, ImageEncoding.DataUrl(ImageEncoding.ToJpeg(image), "image/jpeg"));
    }

    /// <summary>Null when the prompt, parameters and scheduler are acceptable for the model, else the first problem.</summary>
    public string? Check(string? prompt, StudioModel model, string? scheduler, ParameterSet parameters)
    {
        if (string.IsNullOrWhiteSpace(prompt)) return "The source prompt is empty: describe what the image shows.";
        if (parameters.Validate() is { } bad) return bad;
        try
        {
            var options = parameters.ToOptions();
            var config = SchedulerConfig.Load(Path.Combine(model.Path, "scheduler", "scheduler_config.json"));
            var schedule = SchedulerFactory.Create(scheduler, config, options.InversionSteps);
            InversionPipeline.StartIndexFor(schedule.Timesteps, options.Strength, model.Family == ModelFamily.Sdxl);
            return null;
        }
        catch (ReNoiseInputException e)
        {
            return ParameterSet.Describe(e.Message);
        }
    }

    /// <summary>The whole submission; null when it may be queued.</summary>
    public string? Check(InversionSubmission submission, StudioModel model)
    {
        if (CheckSize(submission.FileName, submission.Image.LongLength) is { } size) return size;
        if (Check(submission.Prompt, model, submission.Scheduler, submission.Parameters) is { } bad) return bad;
        try
        {
            Prepare(submission.Image, submission.FileName, model);
            return null;
        }
        catch (ReNoiseInputException e)
        {
            return e.Message;
        }
    }
}
