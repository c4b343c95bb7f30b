using ReNoise.Data.Entities;

namespace ReNoise.Data;

public enum InversionSort
{
    /// <summary>Most recent first.</summary>
    Newest,
    Oldest,
    /// <summary>Highest reconstruction PSNR first; inversions without one last.</summary>
    Psnr,
    /// <summary>Prompt, alphabetical, case-insensitive.</summary>
    Prompt,
}

public enum InversionImage
{
    Input,
    Reconstruction,
    Thumbnail,
}

/// <summary>A gallery row: what a list shows, with only the small thumbnail image.</summary>
public sealed record InversionSummary(
    Guid Id,
    string Prompt,
    string ModelName,
    string SchedulerName,
    DateTime CreatedAt,
    double? Psnr,
    double? Ssim,
    int Nfe,
    int Width,
    int Height,
    byte[] ThumbnailPng);

/// <summary>An edit without its image (fetch that with <see cref="GalleryStore.GetEditAsync"/>).</summary>
public sealed record EditSummary(
    Guid Id,
    Guid InversionId,
    DateTime CreatedAt,
    string Prompt,
    double Guidance,
    int Nfe,
    long DurationMs);

public sealed record ShareLinkInfo(
    string Token,
    Guid InversionId,
    Guid? EditId,
    DateTime CreatedAt,
    DateTime? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;
}

/// <summary>
/// What a share link shows to anyone holding the token: images, prompts and parameters, never
/// the owner, the latents or internal ids.
/// </summary>
public sealed record SharedInversionView(
    string Token,
    DateTime CreatedAt,
    string Prompt,
    string ModelName,
    string ModelFamily,
    string SchedulerName,
    string ParametersJson,
    int Width,
    int Height,
    double? Psnr,
    double? Ssim,
    int Nfe,
    byte[] InputPng,
    byte[] ReconstructionPng,
    SharedEditView? Edit);

public sealed record SharedEditView(
    DateTime CreatedAt,
    string Prompt,
    double Guidance,
    byte[] ImagePng);

/// <summary>A job's state without its input image (<see cref="GalleryStore.GetJobInputImageAsync"/>).</summary>
public sealed record JobInfo(
    Guid Id,
    Guid OwnerId,
    JobKind Kind,
    JobStatus Status,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    string? Error,
    string RequestJson,
    Guid? InversionId,
    Guid? EditId,
    double Progress,
    string? ProgressText)
{
    public bool IsActive => Status is JobStatus.Queued or JobStatus.Running;
}
