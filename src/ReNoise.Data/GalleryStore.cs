using System.Linq.Expressions;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using ReNoise.Data.Entities;

namespace ReNoise.Data;

/// <summary>
/// The gallery's data access. Every query about a person's items takes their owner id (the
/// <see cref="UserSession"/> id) and treats another owner's rows exactly like missing ones: null,
/// false or an empty list, so callers answer 404 without learning that the row exists.
/// The only unscoped operations are <see cref="ResolveShareLinkAsync"/> (the token is the
/// credential) and the start-up job housekeeping (<see cref="MarkInterruptedJobsFailedAsync"/>,
/// <see cref="ListQueuedJobsAsync"/>).
/// </summary>
/// <remarks>
/// A singleton, safe to call from any number of threads at once (a job's progress, a circuit's
/// timer and a click handler): it holds no context, and each operation creates its own short-lived
/// <see cref="ReNoiseDbContext"/> from the factory and disposes it before returning. Reads are
/// no-tracking, so nothing is kept in a context beyond the rows the caller asked for.
/// </remarks>
public sealed class GalleryStore(IDbContextFactory<ReNoiseDbContext> contexts, TimeProvider time)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    // ---- Sessions ----

    /// <summary>A known session's LastSeenAt is written at most this often (a page view is not a write).</summary>
    public static readonly TimeSpan SessionTouchInterval = TimeSpan.FromHours(1);

    /// <summary>
    /// Returns <paramref name="sessionId"/> when that session exists (touching its LastSeenAt when it is
    /// older than <see cref="SessionTouchInterval"/>); otherwise creates a session with a fresh
    /// server-generated id (an unknown id from a cookie is not adopted) and returns the new id.
    /// </summary>
    public async Task<Guid> GetOrCreateSessionAsync(Guid? sessionId, CancellationToken cancellationToken = default)
    {
        if (sessionId is Guid id && await TouchSessionAsync(id, cancellationToken)) return id;
        return await CreateSessionAsync(cancellationToken);
    }

    /// <summary>
    /// True when the session exists. Its LastSeenAt is updated only when older than
    /// <see cref="SessionTouchInterval"/>, so most page views only read.
    /// </summary>
    public async Task<bool> TouchSessionAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        var now = Now;
        var stale = now - SessionTouchInterval;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var session = db.Sessions.Where(s => s.Id == sessionId);
        var lastSeen = await session.Select(s => (DateTime?)s.LastSeenAt).FirstOrDefaultAsync(cancellationToken);
        if (lastSeen is null) return false;
        if (lastSeen < stale)
            await session.ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), cancellationToken);
        return true;
    }

    /// <summary>A new session whose id is 128 bits from the OS CSPRNG (<see cref="NewSessionId"/>).</summary>
    public async Task<Guid> CreateSessionAsync(CancellationToken cancellationToken = default)
    {
        var now = Now;
        var session = new UserSession { Id = NewSessionId(), CreatedAt = now, LastSeenAt = now };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await AddAsync(db, session, cancellationToken);
        return session.Id;
    }

    /// <summary>
    /// A session id: all 128 bits from <see cref="RandomNumberGenerator"/> (a version-4 Guid has only
    /// 122 random bits, and its generator is not documented as cryptographic).
    /// </summary>
    public static Guid NewSessionId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = new Guid(bytes);
        } while (id == Guid.Empty);
        return id;
    }

    /// <summary>
    /// Deletes anonymous sessions not seen since <paramref name="notSeenSince"/> that hold nothing: no
    /// inversion, no job and no saved preset. Returns how many were deleted.
    /// </summary>
    public async Task<int> ExpireEmptySessionsAsync(DateTime notSeenSince, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Sessions
            .Where(s => s.LastSeenAt < notSeenSince
                        && !db.Inversions.Any(i => i.OwnerId == s.Id)
                        && !db.Jobs.Any(j => j.OwnerId == s.Id)
                        && !db.ParameterPresets.Any(p => p.OwnerId == s.Id))
            .ExecuteDeleteAsync(cancellationToken);
    }

    // ---- Inversions ----

    /// <summary>The owner's inversions as summaries; no blob but the thumbnail is read.</summary>
    public async Task<IReadOnlyList<InversionSummary>> ListInversionsAsync(
        Guid ownerId, InversionSort sort = InversionSort.Newest, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await InversionSummaries(db, ownerId, sort).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// One page of the owner's gallery (<see cref="GalleryQuery"/>): only that page's rows are read, with
    /// each inversion's number of edits, and the count of all rows that match.
    /// </summary>
    public async Task<GalleryListing> ListInversionsPageAsync(Guid ownerId, GalleryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Skip);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Take);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Take, GalleryQuery.MaxTake);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var matching = Matching(db, ownerId, query);
        int total = await matching.CountAsync(cancellationToken);
        var items = await Summaries(matching, db, query.Sort).Skip(query.Skip).Take(query.Take).ToListAsync(cancellationToken);
        return new GalleryListing(items, total);
    }

    /// <summary>The names of the models the owner's inversions were made with, alphabetically (the gallery's filter).</summary>
    public async Task<IReadOnlyList<string>> ListInversionModelsAsync(Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Inversions.AsNoTracking().Where(i => i.OwnerId == ownerId)
            .Select(i => i.ModelName).Distinct().OrderBy(m => m).ToListAsync(cancellationToken);
    }

    private static IQueryable<Inversion> Matching(ReNoiseDbContext db, Guid ownerId, GalleryQuery query)
    {
        var owned = db.Inversions.AsNoTracking().Where(i => i.OwnerId == ownerId);
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            // Lower-cased on both sides: case-insensitive on every provider, and no LIKE wildcards to escape.
            string term = query.Search.Trim().ToLowerInvariant();
            owned = owned.Where(i => i.Prompt.ToLower().Contains(term));
        }
        if (!string.IsNullOrWhiteSpace(query.Model)) owned = owned.Where(i => i.ModelName == query.Model);
        return owned;
    }

    /// <summary>The query behind <see cref="ListInversionsAsync"/>, exposed so its SQL can be inspected.</summary>
    internal static IQueryable<InversionSummary> InversionSummaries(ReNoiseDbContext db, Guid ownerId, InversionSort sort) =>
        Summaries(db.Inversions.AsNoTracking().Where(i => i.OwnerId == ownerId), db, sort);

    private static IQueryable<InversionSummary> Summaries(IQueryable<Inversion> owned, ReNoiseDbContext db, InversionSort sort)
    {
        var ordered = sort switch
        {
            InversionSort.Newest => owned.OrderByDescending(i => i.CreatedAt),
            InversionSort.Oldest => owned.OrderBy(i => i.CreatedAt),
            // Inversions without a PSNR last on both providers (SQLite sorts NULL lowest, PostgreSQL highest).
            InversionSort.Psnr => owned.OrderBy(i => i.Psnr == null).ThenByDescending(i => i.Psnr).ThenByDescending(i => i.CreatedAt),
            // Case-insensitive: SQLite's NOCASE collation; PostgreSQL has none of that name, lower() instead.
            InversionSort.Prompt when db.Database.IsNpgsql() => owned.OrderBy(i => i.Prompt.ToLower()).ThenByDescending(i => i.CreatedAt),
            InversionSort.Prompt => owned.OrderBy(i => EF.Functions.Collate(i.Prompt, "NOCASE")).ThenByDescending(i => i.CreatedAt),
            _ => throw new ArgumentOutOfRangeException(nameof(sort), sort, null),
        };
        return ordered.ThenBy(i => i.Id).Select(i => new InversionSummary(
            i.Id, i.Prompt, i.ModelName, i.SchedulerName, i.CreatedAt, i.Psnr, i.Ssim, i.Nfe, i.Width, i.Height,
            db.Edits.Count(e => e.InversionId == i.Id)));
    }

    /// <summary>The inversion's row (no image or tensor); null when it is not the owner's.</summary>
    public async Task<Inversion?> GetInversionAsync(Guid ownerId, Guid inversionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Inversions.AsNoTracking()
            .FirstOrDefaultAsync(i => i.Id == inversionId && i.OwnerId == ownerId, cancellationToken);
    }

    /// <summary>One image of an inversion (for an image endpoint); null when it is not the owner's.</summary>
    public Task<byte[]?> GetInversionImageAsync(
        Guid ownerId, Guid inversionId, InversionImage image, CancellationToken cancellationToken = default)
        => GetInversionBlobAsync(ownerId, inversionId, image switch
        {
            InversionImage.Input => InversionBlobKind.Input,
            InversionImage.Reconstruction => InversionBlobKind.Reconstruction,
            InversionImage.Thumbnail => InversionBlobKind.Thumbnail,
            _ => throw new ArgumentOutOfRangeException(nameof(image), image, null),
        }, cancellationToken);

    /// <summary>One image or tensor of an inversion, and nothing else of it; null when it is not the owner's or has none.</summary>
    public async Task<byte[]?> GetInversionBlobAsync(
        Guid ownerId, Guid inversionId, InversionBlobKind kind, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.InversionBlobs.AsNoTracking()
            .Where(b => b.InversionId == inversionId && b.OwnerId == ownerId && b.Kind == kind)
            .Select(b => b.Data).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// Stores an inversion for <paramref name="ownerId"/> (an existing session), its row and its blobs
    /// in one transaction. Sets OwnerId and CreatedAt, and Id when empty; returns the id. Each float
    /// blob must match its shape string.
    /// </summary>
    public async Task<Guid> AddInversionAsync(Guid ownerId, NewInversion inversion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inversion);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        StageInversion(db, ownerId, inversion);
        await db.SaveChangesAsync(cancellationToken);
        return inversion.Row.Id;
    }

    /// <summary>
    /// Deletes the inversion with every byte of it: its images and tensors, edits, share links and
    /// the jobs that made it or edited it (their rows hold its prompt, file name and upload). False when
    /// it is not the owner's.
    /// </summary>
    public async Task<bool> DeleteInversionAsync(Guid ownerId, Guid inversionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        bool deleted = await db.Inversions.Where(i => i.Id == inversionId && i.OwnerId == ownerId)
            .ExecuteDeleteAsync(cancellationToken) == 1;
        if (deleted) await CheckpointAsync(db, cancellationToken);
        return deleted;
    }

    /// <summary>
    /// Deletes several of the owner's inversions, each with every byte of it (as <see cref="DeleteInversionAsync"/>),
    /// in one statement; ids that are not the owner's are left alone. Returns how many were deleted.
    /// </summary>
    public async Task<int> DeleteInversionsAsync(Guid ownerId, IReadOnlyCollection<Guid> inversionIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inversionIds);
        if (inversionIds.Count == 0) return 0;
        var ids = inversionIds.Distinct().ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        int deleted = await db.Inversions.Where(i => i.OwnerId == ownerId && ids.Contains(i.Id)).ExecuteDeleteAsync(cancellationToken);
        if (deleted > 0) await CheckpointAsync(db, cancellationToken);
        return deleted;
    }

    // ---- Parameter presets ----

    public const int MaxPresetNameLength = 80;

    /// <summary>A session keeps at most this many presets; saving another under a new name is refused.</summary>
    public const int MaxPresetsPerSession = 50;

    /// <summary>The owner's presets, by name.</summary>
    public async Task<IReadOnlyList<PresetInfo>> ListPresetsAsync(Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ParameterPresets.AsNoTracking().Where(p => p.OwnerId == ownerId)
            .OrderBy(p => p.Name).ThenBy(p => p.Id)
            .Select(p => new PresetInfo(p.Id, p.Name, p.ModelName, p.ParametersJson, p.UpdatedAt))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Saves the owner's preset <paramref name="name"/> (trimmed, 1 to <see cref="MaxPresetNameLength"/>
    /// characters), replacing one of the same name. Null when the session already holds
    /// <see cref="MaxPresetsPerSession"/> presets and this is a new name.
    /// </summary>
    public async Task<PresetInfo?> SavePresetAsync(Guid ownerId, string name, string modelName, string parametersJson,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(parametersJson);
        name = name.Trim();
        if (name.Length == 0 || name.Length > MaxPresetNameLength)
            throw new ArgumentException($"a preset name has 1 to {MaxPresetNameLength} characters", nameof(name));
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var existing = await db.ParameterPresets.FirstOrDefaultAsync(p => p.OwnerId == ownerId && p.Name == name, cancellationToken);
        if (existing is null)
        {
            if (await db.ParameterPresets.CountAsync(p => p.OwnerId == ownerId, cancellationToken) >= MaxPresetsPerSession) return null;
            existing = new ParameterPreset { Id = Guid.NewGuid(), OwnerId = ownerId, Name = name, CreatedAt = now };
            db.Add(existing);
        }
        existing.ModelName = modelName;
        existing.ParametersJson = parametersJson;
        existing.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return new PresetInfo(existing.Id, existing.Name, existing.ModelName, existing.ParametersJson, existing.UpdatedAt);
    }

    /// <summary>Deletes the owner's preset; false when it is not the owner's.</summary>
    public async Task<bool> DeletePresetAsync(Guid ownerId, Guid presetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ParameterPresets.Where(p => p.Id == presetId && p.OwnerId == ownerId).ExecuteDeleteAsync(cancellationToken) == 1;
    }

    // ---- Edits ----

    /// <summary>Edits of one of the owner's inversions, oldest first; empty when the inversion is not the owner's.</summary>
    public async Task<IReadOnlyList<EditSummary>> ListEditsAsync(
        Guid ownerId, Guid inversionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Edits.AsNoTracking()
            .Where(e => e.InversionId == inversionId && e.OwnerId == ownerId)
            .OrderBy(e => e.CreatedAt).ThenBy(e => e.Id)
            .Select(e => new EditSummary(e.Id, e.InversionId, e.CreatedAt, e.Prompt, e.Guidance, e.Nfe, e.DurationMs))
            .ToListAsync(cancellationToken);
    }

    /// <summary>The edit with its image; null when it is not the owner's.</summary>
    public async Task<Edit?> GetEditAsync(Guid ownerId, Guid editId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Edits.AsNoTracking().FirstOrDefaultAsync(e => e.Id == editId && e.OwnerId == ownerId, cancellationToken);
    }

    /// <summary>The edit's image and nothing else of it; null when it is not the owner's.</summary>
    public async Task<byte[]?> GetEditImageAsync(Guid ownerId, Guid editId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Edits.AsNoTracking().Where(e => e.Id == editId && e.OwnerId == ownerId)
            .Select(e => e.ImagePng).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// Stores an edit of <c>edit.InversionId</c>; null (nothing stored) when that inversion is not
    /// the owner's. Sets OwnerId and CreatedAt, and Id when empty.
    /// </summary>
    public async Task<Guid?> AddEditAsync(Guid ownerId, Edit edit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(edit);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await OwnsInversionAsync(db, ownerId, edit.InversionId, cancellationToken)) return null;

        edit.OwnerId = ownerId;
        if (edit.Id == Guid.Empty) edit.Id = Guid.NewGuid();
        edit.CreatedAt = Now;
        await AddAsync(db, edit, cancellationToken);
        return edit.Id;
    }

    /// <summary>Deletes the edit and its share links; false when it is not the owner's.</summary>
    public async Task<bool> DeleteEditAsync(Guid ownerId, Guid editId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        bool deleted = await db.Edits.Where(e => e.Id == editId && e.OwnerId == ownerId)
            .ExecuteDeleteAsync(cancellationToken) == 1;
        if (deleted) await CheckpointAsync(db, cancellationToken);
        return deleted;
    }

    // ---- Share links ----

    /// <summary>
    /// Creates a link to the owner's inversion, or to one of its edits; returns the token, or null
    /// when the inversion (or the edit, or the edit's belonging to that inversion) is not the owner's.
    /// </summary>
    public async Task<string?> CreateShareLinkAsync(
        Guid ownerId, Guid inversionId, Guid? editId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await OwnsInversionAsync(db, ownerId, inversionId, cancellationToken)) return null;
        if (editId is Guid e && !await db.Edits.AnyAsync(
                x => x.Id == e && x.InversionId == inversionId && x.OwnerId == ownerId, cancellationToken))
            return null;

        var link = new ShareLink
        {
            Id = Guid.NewGuid(),
            Token = ShareTokens.Create(),
            OwnerId = ownerId,
            InversionId = inversionId,
            EditId = editId,
            CreatedAt = Now,
        };
        await AddAsync(db, link, cancellationToken);
        return link.Token;
    }

    /// <summary>
    /// Revokes the owner's link. True when the owner has that link (revoked now or before);
    /// false when the token is unknown or another owner's.
    /// </summary>
    public async Task<bool> RevokeShareLinkAsync(Guid ownerId, string token, CancellationToken cancellationToken = default)
    {
        if (!ShareTokens.IsWellFormed(token)) return false;
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owned = db.ShareLinks.Where(l => l.Token == token && l.OwnerId == ownerId);
        if (await owned.Where(l => l.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.RevokedAt, now), cancellationToken) == 1)
            return true;
        return await owned.AnyAsync(cancellationToken);
    }

    /// <summary>The owner's links to one inversion (and its edits), newest first, revoked ones included.</summary>
    public async Task<IReadOnlyList<ShareLinkInfo>> ListShareLinksAsync(
        Guid ownerId, Guid inversionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ShareLinks.AsNoTracking()
            .Where(l => l.InversionId == inversionId && l.OwnerId == ownerId)
            .OrderByDescending(l => l.CreatedAt).ThenBy(l => l.Id)
            .Select(l => new ShareLinkInfo(l.Token, l.InversionId, l.EditId, l.CreatedAt, l.RevokedAt))
            .ToListAsync(cancellationToken);
    }

    /// <summary>What a public link shows; null when the token is unknown or revoked.</summary>
    public async Task<SharedInversionView?> ResolveShareLinkAsync(string token, CancellationToken cancellationToken = default)
    {
        if (!ShareTokens.IsWellFormed(token)) return null;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = await (
                from l in db.ShareLinks.AsNoTracking()
                where l.Token == token && l.RevokedAt == null
                join i in db.Inversions.AsNoTracking() on l.InversionId equals i.Id
                select new
                {
                    l.EditId,
                    View = new SharedInversionView(
                        l.Token, i.CreatedAt, i.Prompt, i.ModelName, i.ModelFamily, i.SchedulerName, i.ParametersJson,
                        i.Width, i.Height, i.Psnr, i.Ssim, i.Nfe, null),
                })
            .FirstOrDefaultAsync(cancellationToken);
        if (found is null) return null;
        if (found.EditId is not Guid editId) return found.View;

        var edit = await db.Edits.AsNoTracking()
            .Where(e => e.Id == editId)
            .Select(e => new SharedEditView(e.CreatedAt, e.Prompt, e.Guidance))
            .FirstOrDefaultAsync(cancellationToken);
        // The link row cascades away with its edit, so a missing edit means it was deleted just now.
        return edit is null ? null : found.View with { Edit = edit };
    }

    /// <summary>One image a live share link shows, and nothing else; null when the token is unknown or revoked, or the link has no such image.</summary>
    public async Task<byte[]?> GetSharedImageAsync(string token, SharedImage image, CancellationToken cancellationToken = default)
    {
        if (!ShareTokens.IsWellFormed(token)) return null;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var link = db.ShareLinks.AsNoTracking().Where(l => l.Token == token && l.RevokedAt == null);
        if (image == SharedImage.Edit)
        {
            return await (from l in link
                          join e in db.Edits.AsNoTracking() on l.EditId equals e.Id
                          select e.ImagePng).FirstOrDefaultAsync(cancellationToken);
        }
        var kind = image == SharedImage.Input ? InversionBlobKind.Input : InversionBlobKind.Reconstruction;
        return await (from l in link
                      join b in db.InversionBlobs.AsNoTracking() on l.InversionId equals b.InversionId
                      where b.Kind == kind
                      select b.Data).FirstOrDefaultAsync(cancellationToken);
    }

    // ---- Jobs ----

    /// <summary>Queues an inversion of <paramref name="inputImage"/> (the upload at working size); returns the job id.</summary>
    public async Task<Guid> EnqueueInvertJobAsync(
        Guid ownerId, string requestJson, byte[] inputImage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestJson);
        ArgumentNullException.ThrowIfNull(inputImage);
        var job = NewJob(ownerId, JobKind.Invert, requestJson);
        job.InputImage = inputImage;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await AddAsync(db, job, cancellationToken);
        return job.Id;
    }

    /// <summary>Queues an edit of the owner's inversion; null (nothing queued) when the inversion is not the owner's.</summary>
    public async Task<Guid?> EnqueueEditJobAsync(
        Guid ownerId, Guid inversionId, string requestJson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestJson);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await OwnsInversionAsync(db, ownerId, inversionId, cancellationToken)) return null;
        var job = NewJob(ownerId, JobKind.Edit, requestJson);
        job.InversionId = inversionId;
        await AddAsync(db, job, cancellationToken);
        return job.Id;
    }

    public async Task<JobInfo?> GetJobAsync(Guid ownerId, Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().Where(j => j.Id == jobId && j.OwnerId == ownerId)
            .Select(ToJobInfo).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>The uploaded file of an invert job; null when not the owner's job or it has none.</summary>
    public async Task<byte[]?> GetJobInputImageAsync(Guid ownerId, Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().Where(j => j.Id == jobId && j.OwnerId == ownerId)
            .Select(j => j.InputImage).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>The owner's queued and running jobs, oldest first.</summary>
    public async Task<IReadOnlyList<JobInfo>> ListActiveJobsAsync(Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking()
            .Where(j => j.OwnerId == ownerId && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running))
            .OrderBy(j => j.CreatedAt).ThenBy(j => j.Id)
            .Select(ToJobInfo).ToListAsync(cancellationToken);
    }

    /// <summary>The owner's latest jobs in any state, newest first (e.g. to show why one failed).</summary>
    public async Task<IReadOnlyList<JobInfo>> ListRecentJobsAsync(
        Guid ownerId, int limit = 20, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking()
            .Where(j => j.OwnerId == ownerId)
            .OrderByDescending(j => j.CreatedAt).ThenBy(j => j.Id)
            .Take(limit)
            .Select(ToJobInfo).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Queued → Running. False when the job is not the owner's or no longer queued (cancelled
    /// meanwhile): the worker must then skip it. The conditional update makes this the claim.
    /// </summary>
    public async Task<bool> MarkJobRunningAsync(Guid ownerId, Guid jobId, CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Owned(db, ownerId, jobId, JobStatus.Queued).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Running)
            .SetProperty(j => j.StartedAt, now)
            .SetProperty(j => j.Progress, 0.0), cancellationToken) == 1;
    }

    /// <summary>Records progress (0..1) of a running job; false when it is not running (e.g. cancelled).</summary>
    public async Task<bool> UpdateJobProgressAsync(
        Guid ownerId, Guid jobId, double progress, string? progressText = null, CancellationToken cancellationToken = default)
    {
        if (!double.IsFinite(progress)) throw new ArgumentOutOfRangeException(nameof(progress), progress, "Progress must be finite.");
        progress = Math.Clamp(progress, 0.0, 1.0);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Owned(db, ownerId, jobId, JobStatus.Running).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Progress, progress)
            .SetProperty(j => j.ProgressText, progressText), cancellationToken) == 1;
    }

    /// <summary>
    /// Running → Done with its result (<paramref name="inversionId"/> for an invert job,
    /// <paramref name="editId"/> for an edit job; a null leaves the column as it was).
    /// False when the job is not running any more (cancelled): the caller may then delete the result.
    /// </summary>
    public async Task<bool> MarkJobDoneAsync(
        Guid ownerId, Guid jobId, Guid? inversionId = null, Guid? editId = null, CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Owned(db, ownerId, jobId, JobStatus.Running).ExecuteUpdateAsync(s =>
        {
            s.SetProperty(j => j.Status, JobStatus.Done)
             .SetProperty(j => j.FinishedAt, now)
             .SetProperty(j => j.Progress, 1.0);
            if (inversionId is Guid i) s.SetProperty(j => j.InversionId, i);
            if (editId is Guid e) s.SetProperty(j => j.EditId, e);
        }, cancellationToken) == 1;
    }

    /// <summary>Queued or Running → Failed with <paramref name="error"/>; false when already finished or not the owner's.</summary>
    public async Task<bool> MarkJobFailedAsync(Guid ownerId, Guid jobId, string error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Owned(db, ownerId, jobId, JobStatus.Queued, JobStatus.Running).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Failed)
            .SetProperty(j => j.FinishedAt, now)
            .SetProperty(j => j.Error, error), cancellationToken) == 1;
    }

    /// <summary>
    /// Running at claim <paramref name="attempt"/> → Failed with <paramref name="error"/>; false when the job
    /// has ended, is not the owner's, or was claimed again since (another worker's run now).
    /// </summary>
    public async Task<bool> MarkJobFailedAsync(Guid ownerId, Guid jobId, string error, int attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Claimed(db, ownerId, jobId, attempt).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Failed)
            .SetProperty(j => j.FinishedAt, now)
            .SetProperty(j => j.Error, error), cancellationToken) == 1;
    }

    /// <summary>
    /// Queued or Running → Cancelled; false when already finished or not the owner's. Stopping a
    /// running computation is the worker's business (its CancellationToken); this records the outcome.
    /// </summary>
    public async Task<bool> MarkJobCancelledAsync(Guid ownerId, Guid jobId, CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Owned(db, ownerId, jobId, JobStatus.Queued, JobStatus.Running).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Cancelled)
            .SetProperty(j => j.FinishedAt, now)
            .SetProperty(j => j.InputImage, (byte[]?)null), cancellationToken) == 1;
    }

    /// <summary>
    /// Stores an invert job's result and marks the job Done with it, in one transaction: either both
    /// happen or neither (a crash or a failed write leaves no gallery item beside an unfinished job).
    /// The job's upload is dropped with it (the inversion keeps the working-size input).
    /// </summary>
    public async Task<JobCompletion> CompleteInvertJobAsync(
        Guid ownerId, Guid jobId, NewInversion inversion, CancellationToken cancellationToken = default)
        => await CompleteInvertJobAsync(ownerId, jobId, inversion, attempt: null, cancellationToken);

    /// <summary>
    /// As above, and only while the job's row is still at claim <paramref name="attempt"/> (when given): a worker
    /// whose claim was taken over (the broker handed the job to another worker) stores nothing. The inversion
    /// records its job id, which is unique: a job can never store two inversions.
    /// </summary>
    public async Task<JobCompletion> CompleteInvertJobAsync(
        Guid ownerId, Guid jobId, NewInversion inversion, int? attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inversion);
        inversion.Row.JobId = jobId;
        if (inversion.Row.Id == Guid.Empty) inversion.Row.Id = Guid.NewGuid();
        return await InTransactionAsync(async (db, ct) =>
        {
            var now = Now;
            StageInversion(db, ownerId, inversion);
            if (!await SaveUnlessJobStoredAsync(db, jobId, ct)) return JobCompletion.NotRunning;
            Guid inversionId = inversion.Row.Id;
            int marked = await Claimed(db, ownerId, jobId, attempt).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Done)
                .SetProperty(j => j.FinishedAt, now)
                .SetProperty(j => j.Progress, 1.0)
                .SetProperty(j => j.InputImage, (byte[]?)null)
                .SetProperty(j => j.InversionId, inversionId), ct);
            return marked == 1 ? JobCompletion.Stored : JobCompletion.NotRunning;
        }, cancellationToken);
    }

    /// <summary>
    /// Stores an edit job's result (<c>edit.InversionId</c> must be the owner's) and marks the job Done
    /// with it, in one transaction. Sets the edit's OwnerId and CreatedAt, and Id when empty.
    /// </summary>
    public async Task<JobCompletion> CompleteEditJobAsync(Guid ownerId, Guid jobId, Edit edit, CancellationToken cancellationToken = default)
        => await CompleteEditJobAsync(ownerId, jobId, edit, attempt: null, cancellationToken);

    /// <summary>As above, only while the job is still at claim <paramref name="attempt"/> (when given); the edit's job id is unique.</summary>
    public async Task<JobCompletion> CompleteEditJobAsync(Guid ownerId, Guid jobId, Edit edit, int? attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(edit);
        if (edit.Id == Guid.Empty) edit.Id = Guid.NewGuid();
        edit.JobId = jobId;
        return await InTransactionAsync(async (db, ct) =>
        {
            var now = Now;
            if (!await OwnsInversionAsync(db, ownerId, edit.InversionId, ct))
                return JobCompletion.InversionGone;
            edit.OwnerId = ownerId;
            edit.CreatedAt = now;
            db.Add(edit);
            if (!await SaveUnlessJobStoredAsync(db, jobId, ct)) return JobCompletion.NotRunning;
            Guid editId = edit.Id;
            int marked = await Claimed(db, ownerId, jobId, attempt).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Done)
                .SetProperty(j => j.FinishedAt, now)
                .SetProperty(j => j.Progress, 1.0)
                .SetProperty(j => j.EditId, editId), ct);
            return marked == 1 ? JobCompletion.Stored : JobCompletion.NotRunning;
        }, cancellationToken);
    }

    /// <summary>
    /// Queues a failed job again as a new job: the same request, and for an inversion the upload, which
    /// moves to the new job. Null (nothing queued) when the job is not the owner's, not failed, or an
    /// inversion whose upload is gone (dropped by housekeeping).
    /// </summary>
    public async Task<Guid?> ResubmitFailedJobAsync(Guid ownerId, Guid jobId, CancellationToken cancellationToken = default)
    {
        var admission = await AdmitJobAsync(ownerId, new JobToAdmit(JobKind.Invert, "") { ResubmitOf = jobId }, limits: null, cancellationToken);
        return admission.JobId;
    }

    /// <summary>
    /// Stores a job as Queued — a new inversion (<see cref="JobToAdmit.Upload"/>), a new edit of the owner's
    /// inversion, or a failed job again (<see cref="JobToAdmit.ResubmitOf"/>: its request, and its upload, which
    /// moves to the new job) — or refuses it, storing nothing. With <paramref name="limits"/>, the session's jobs
    /// queued or running and all waiting jobs are counted in the same transaction, under a lock every process
    /// takes (PostgreSQL: a transaction-scoped advisory lock), so web nodes admitting at once cannot both take
    /// the last place. Without, the caller counts (the embedded queue does, in memory).
    /// </summary>
    public async Task<JobAdmission> AdmitJobAsync(Guid ownerId, JobToAdmit job, AdmissionLimits? limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return await InTransactionAsync(async (db, ct) =>
        {
            if (limits is not null)
            {
                if (db.Database.IsNpgsql())
                    await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({AdmissionLockKey})", ct);
                int mine = await db.Jobs.CountAsync(j => j.OwnerId == ownerId && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running), ct);
                if (mine >= limits.MaxJobsPerSession) return JobAdmission.Refused(AdmissionRefusal.SessionQuota);
                int waiting = await db.Jobs.CountAsync(j => j.Status == JobStatus.Queued, ct);
                if (waiting >= limits.QueueSize) return JobAdmission.Refused(AdmissionRefusal.QueueFull);
            }
            Job stored;
            if (job.ResubmitOf is Guid failedId)
            {
                var old = await db.Jobs.Where(j => j.Id == failedId && j.OwnerId == ownerId && j.Status == JobStatus.Failed)
                    .Select(j => new { j.Kind, j.RequestJson, j.InputImage, j.InversionId, j.Model }).FirstOrDefaultAsync(ct);
                if (old is null) return JobAdmission.Refused(AdmissionRefusal.CannotResubmit);
                if (old.Kind == JobKind.Invert && old.InputImage is null) return JobAdmission.Refused(AdmissionRefusal.CannotResubmit);
                if (old.Kind == JobKind.Edit && (old.InversionId is not Guid source || !await OwnsInversionAsync(db, ownerId, source, ct)))
                    return JobAdmission.Refused(AdmissionRefusal.CannotResubmit);
                stored = NewJob(ownerId, old.Kind, old.RequestJson);
                stored.InputImage = old.InputImage;
                stored.Model = string.IsNullOrEmpty(job.Model) ? old.Model : job.Model;
                if (old.Kind == JobKind.Edit) stored.InversionId = old.InversionId;
                db.Add(stored);
                await db.SaveChangesAsync(ct);
                await db.Jobs.Where(j => j.Id == failedId).ExecuteUpdateAsync(s => s.SetProperty(j => j.InputImage, (byte[]?)null), ct);
                return JobAdmission.Admitted(stored.Id);
            }
            ArgumentNullException.ThrowIfNull(job.RequestJson);
            stored = NewJob(ownerId, job.Kind, job.RequestJson);
            stored.Model = job.Model;
            if (job.Kind == JobKind.Invert)
            {
                ArgumentNullException.ThrowIfNull(job.Upload);
                stored.InputImage = job.Upload;
            }
            else
            {
                if (job.InversionId is not Guid inversionId || !await OwnsInversionAsync(db, ownerId, inversionId, ct))
                    return JobAdmission.Refused(AdmissionRefusal.InversionGone);
                stored.InversionId = inversionId;
            }
            db.Add(stored);
            await db.SaveChangesAsync(ct);
            return JobAdmission.Admitted(stored.Id);
        }, cancellationToken);
    }

    /// <summary>The advisory lock admissions take on PostgreSQL ("ReNoise" in ASCII, as a number).</summary>
    internal const long AdmissionLockKey = 0x52654E6F697365;

    /// <summary>
    /// A worker's claim on a job it was handed: Queued → Running as attempt 1 (2, ...). A job found Running is
    /// taken over only when the broker says the delivery is a redelivery (<paramref name="redelivered"/>: the
    /// worker that had it stopped without acknowledging it); otherwise another worker has it and this
    /// delivery is a duplicate. Past <paramref name="maxAttempts"/> claims the job fails with
    /// <paramref name="exhaustedReason"/>. Unscoped by owner beyond the id pair the message carries.
    /// </summary>
    public async Task<JobClaim> ClaimJobAsync(Guid ownerId, Guid jobId, bool redelivered, int maxAttempts, string exhaustedReason,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxAttempts);
        ArgumentException.ThrowIfNullOrEmpty(exhaustedReason);
        return await InTransactionAsync(async (db, ct) =>
        {
            var now = Now;
            var row = await db.Jobs.Where(j => j.Id == jobId && j.OwnerId == ownerId)
                .Select(j => new { j.Status, j.Attempts }).FirstOrDefaultAsync(ct);
            if (row is null) return new JobClaim(ClaimOutcome.Missing, 0, null);
            bool claimable = row.Status == JobStatus.Queued || (row.Status == JobStatus.Running && redelivered);
            if (!claimable)
                return new JobClaim(row.Status == JobStatus.Running ? ClaimOutcome.RunningElsewhere : ClaimOutcome.Finished, row.Attempts, row.Status);
            if (row.Attempts >= maxAttempts)
            {
                await Owned(db, ownerId, jobId, row.Status).ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.Status, JobStatus.Failed)
                    .SetProperty(j => j.FinishedAt, now)
                    .SetProperty(j => j.Error, exhaustedReason), ct);
                return new JobClaim(ClaimOutcome.AttemptsExhausted, row.Attempts, JobStatus.Failed);
            }
            int attempt = row.Attempts + 1;
            // Conditional on what was read: of two workers claiming at once, one wins.
            int claimed = await Owned(db, ownerId, jobId, row.Status).Where(j => j.Attempts == row.Attempts).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Running)
                .SetProperty(j => j.StartedAt, now)
                .SetProperty(j => j.Progress, 0.0)
                .SetProperty(j => j.Attempts, attempt), ct);
            return claimed == 1
                ? new JobClaim(ClaimOutcome.Claimed, attempt, JobStatus.Running)
                : new JobClaim(ClaimOutcome.RunningElsewhere, row.Attempts, row.Status);
        }, cancellationToken);
    }

    /// <summary>
    /// Running at claim <paramref name="attempt"/> → Queued again, the attempt not counted: a worker shutting
    /// down gives the job back for another worker. False when the claim is no longer this one.
    /// </summary>
    public async Task<bool> ReleaseJobAsync(Guid ownerId, Guid jobId, int attempt, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Claimed(db, ownerId, jobId, attempt).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Queued)
            .SetProperty(j => j.StartedAt, (DateTime?)null)
            .SetProperty(j => j.Progress, 0.0)
            .SetProperty(j => j.Attempts, attempt - 1), cancellationToken) == 1;
    }

    /// <summary>Records that the job was handed to the broker (distributed mode).</summary>
    public async Task MarkJobDispatchedAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s.SetProperty(j => j.DispatchedAt, now), cancellationToken);
    }

    /// <summary>
    /// Queued jobs to hand to the broker (again): never handed and created before <paramref name="createdBefore"/>
    /// (the web node that admitted them could not reach the broker, or stopped in between), or handed before
    /// <paramref name="dispatchedBefore"/> and still queued (their message may be gone with a broker that lost it).
    /// Each is marked dispatched now, conditionally, so of several web nodes sweeping at once one takes it.
    /// </summary>
    public async Task<IReadOnlyList<JobInfo>> TakeJobsToDispatchAsync(DateTime createdBefore, DateTime dispatchedBefore, int limit,
        CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var candidates = await db.Jobs.AsNoTracking()
            .Where(j => j.Status == JobStatus.Queued
                        && ((j.DispatchedAt == null && j.CreatedAt < createdBefore) || j.DispatchedAt < dispatchedBefore))
            .OrderBy(j => j.CreatedAt).Take(limit)
            .Select(j => new { Info = new JobInfo(j.Id, j.OwnerId, j.Kind, j.Status, j.CreatedAt, j.StartedAt, j.FinishedAt, j.Error,
                j.RequestJson, j.InversionId, j.EditId, j.Progress, j.ProgressText, j.InputImage != null, j.Model, j.Attempts), j.DispatchedAt })
            .ToListAsync(cancellationToken);
        var taken = new List<JobInfo>();
        foreach (var c in candidates)
        {
            var was = c.DispatchedAt;
            if (await db.Jobs.Where(j => j.Id == c.Info.Id && j.Status == JobStatus.Queued && j.DispatchedAt == was)
                    .ExecuteUpdateAsync(s => s.SetProperty(j => j.DispatchedAt, now), cancellationToken) == 1)
                taken.Add(c.Info);
        }
        return taken;
    }

    /// <summary>
    /// Jobs Running since before <paramref name="startedBefore"/> — longer than any run may take, so the worker
    /// that claimed them is gone and the broker no longer holds their message — each taken (its start time set to
    /// now, conditionally, so one web node takes it) to be handed to the broker again for another worker.
    /// </summary>
    public async Task<IReadOnlyList<JobInfo>> TakeOrphanedJobsAsync(DateTime startedBefore, int limit, CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var candidates = await db.Jobs.AsNoTracking()
            .Where(j => j.Status == JobStatus.Running && j.StartedAt < startedBefore)
            .OrderBy(j => j.StartedAt).Take(limit)
            .Select(ToJobInfo).ToListAsync(cancellationToken);
        var taken = new List<JobInfo>();
        foreach (var job in candidates)
        {
            var started = job.StartedAt;
            if (await db.Jobs.Where(j => j.Id == job.Id && j.Status == JobStatus.Running && j.StartedAt == started)
                    .ExecuteUpdateAsync(s => s.SetProperty(j => j.StartedAt, now), cancellationToken) == 1)
                taken.Add(job);
        }
        return taken;
    }

    /// <summary>Several jobs' states by id, any owner (a web node checking the jobs its pages follow); no request, no upload.</summary>
    public async Task<IReadOnlyList<JobInfo>> GetJobStatesAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken = default)
    {
        if (jobIds.Count == 0) return [];
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().Where(j => jobIds.Contains(j.Id))
            .Select(j => new JobInfo(j.Id, j.OwnerId, j.Kind, j.Status, j.CreatedAt, j.StartedAt, j.FinishedAt, j.Error, "",
                j.InversionId, j.EditId, j.Progress, j.ProgressText, j.InputImage != null, j.Model, j.Attempts))
            .ToListAsync(cancellationToken);
    }

    /// <summary>All owners' queued jobs in the order they were admitted, without request or upload: the shared queue as a web node shows it.</summary>
    public async Task<IReadOnlyList<QueuedJob>> ListQueueAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().Where(j => j.Status == JobStatus.Queued)
            .OrderBy(j => j.CreatedAt).ThenBy(j => j.Id)
            .Select(j => new QueuedJob(j.Id, j.OwnerId, j.Kind, j.Model, j.CreatedAt))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Drops the uploads failed jobs kept (to be submitted again) once they finished before <paramref name="finishedBefore"/>.</summary>
    public async Task<int> DropFailedJobUploadsAsync(DateTime finishedBefore, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        int dropped = await db.Jobs
            .Where(j => j.InputImage != null && j.Status != JobStatus.Queued && j.Status != JobStatus.Running && j.FinishedAt < finishedBefore)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.InputImage, (byte[]?)null), cancellationToken);
        if (dropped > 0) await CheckpointAsync(db, cancellationToken);
        return dropped;
    }

    // ---- Health ----

    /// <summary>Writes (and commits) one small row: throws when the database cannot be written (disk full, read-only, locked out).</summary>
    public async Task ProbeWriteAsync(CancellationToken cancellationToken = default)
    {
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.HealthProbes.Where(p => p.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(p => p.CheckedAt, now), cancellationToken) == 0)
            await AddAsync(db, new HealthProbe { Id = 1, CheckedAt = now }, cancellationToken);
    }

    /// <summary>
    /// Start-up housekeeping, before the worker runs: jobs left Running by a previous process
    /// become Failed with <paramref name="reason"/>. Queued jobs are left queued (nothing else is
    /// lost); the worker picks them up again from <see cref="ListQueuedJobsAsync"/>. Returns how
    /// many jobs were failed.
    /// </summary>
    public async Task<int> MarkInterruptedJobsFailedAsync(string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.Where(j => j.Status == JobStatus.Running).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Failed)
            .SetProperty(j => j.FinishedAt, now)
            .SetProperty(j => j.Error, reason), cancellationToken);
    }

    /// <summary>All owners' queued jobs, oldest first: what the worker re-dispatches after a restart.</summary>
    public async Task<IReadOnlyList<JobInfo>> ListQueuedJobsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking()
            .Where(j => j.Status == JobStatus.Queued)
            .OrderBy(j => j.CreatedAt).ThenBy(j => j.Id)
            .Select(ToJobInfo).ToListAsync(cancellationToken);
    }

    // ---- helpers ----

    private static readonly Expression<Func<Job, JobInfo>> ToJobInfo = j => new JobInfo(
        j.Id, j.OwnerId, j.Kind, j.Status, j.CreatedAt, j.StartedAt, j.FinishedAt, j.Error, j.RequestJson,
        j.InversionId, j.EditId, j.Progress, j.ProgressText, j.InputImage != null, j.Model, j.Attempts);

    /// <summary>Adds the inversion row and its blobs to <paramref name="db"/> (saved by the caller, in one transaction).</summary>
    private void StageInversion(ReNoiseDbContext db, Guid ownerId, NewInversion inversion)
    {
        var (row, files) = inversion;
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(files);
        RequireShape(files.Latent, row.LatentShape, nameof(InversionFiles.Latent));
        if (files.CleanLatent.Length > 0)
            RequireShape(files.CleanLatent, row.LatentShape, nameof(InversionFiles.CleanLatent));
        RequireShape(files.NoiseMaps, row.NoiseShape, nameof(InversionFiles.NoiseMaps));

        row.OwnerId = ownerId;
        if (row.Id == Guid.Empty) row.Id = Guid.NewGuid();
        row.CreatedAt = Now;
        db.Add(row);
        foreach (var (kind, data) in files.Blobs())
            db.Add(new InversionBlob { InversionId = row.Id, OwnerId = ownerId, Kind = kind, Data = data });
    }

    /// <summary>
    /// After a delete: moves the write-ahead log into the database file and truncates it, so the
    /// deleted pages' old contents (zeroed by secure_delete in the file) do not linger in the log.
    /// Best effort: with readers active the log is truncated later.
    /// </summary>
    private static async Task CheckpointAsync(ReNoiseDbContext db, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite()) return;
        try
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);", cancellationToken);
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            // Busy or locked: the next automatic checkpoint does it.
        }
    }

    private Job NewJob(Guid ownerId, JobKind kind, string requestJson) => new()
    {
        Id = Guid.NewGuid(),
        OwnerId = ownerId,
        Kind = kind,
        Status = JobStatus.Queued,
        CreatedAt = Now,
        RequestJson = requestJson,
    };

    /// <summary>The job while Running at claim <paramref name="attempt"/> (any claim when null).</summary>
    private static IQueryable<Job> Claimed(ReNoiseDbContext db, Guid ownerId, Guid jobId, int? attempt)
    {
        var running = Owned(db, ownerId, jobId, JobStatus.Running);
        return attempt is int a ? running.Where(j => j.Attempts == a) : running;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction on a fresh context, through the provider's execution
    /// strategy: on PostgreSQL a transient failure (a restart) retries the whole transaction; SQLite runs it once.
    /// A result other than a success rolls back whatever was staged.
    /// </summary>
    private async Task<T> InTransactionAsync<T>(Func<ReNoiseDbContext, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var outer = await contexts.CreateDbContextAsync(cancellationToken);
        var strategy = outer.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var result = await work(db, ct);
            if (IsSuccess(result)) await transaction.CommitAsync(ct);
            else await transaction.RollbackAsync(ct);
            return result;
        }, cancellationToken);
    }

    private static bool IsSuccess<T>(T result) => result switch
    {
        JobCompletion c => c == JobCompletion.Stored,
        JobAdmission a => a.JobId is not null,
        JobClaim => true, // a claim's outcome is always recorded (the exhausted mark included)
        _ => true,
    };

    /// <summary>
    /// Saves the staged result; false when the job already has one (its id is unique on the result rows):
    /// another delivery of the same job stored it first.
    /// </summary>
    private async Task<bool> SaveUnlessJobStoredAsync(ReNoiseDbContext db, Guid jobId, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            if (await ResultExistsAsync(jobId, cancellationToken)) return false;
            throw;
        }
    }

    private async Task<bool> ResultExistsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        // The failed statement aborted the transaction on PostgreSQL: look from outside it.
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Inversions.AnyAsync(i => i.JobId == jobId, cancellationToken) || await db.Edits.AnyAsync(e => e.JobId == jobId, cancellationToken);
    }

    private static IQueryable<Job> Owned(ReNoiseDbContext db, Guid ownerId, Guid jobId, params JobStatus[] statuses)
        => db.Jobs.Where(j => j.Id == jobId && j.OwnerId == ownerId && statuses.Contains(j.Status));

    private static Task<bool> OwnsInversionAsync(ReNoiseDbContext db, Guid ownerId, Guid inversionId, CancellationToken cancellationToken)
        => db.Inversions.AnyAsync(i => i.Id == inversionId && i.OwnerId == ownerId, cancellationToken);

    /// <summary>Inserts one row; the context is the operation's own and is disposed after it, so nothing stays tracked.</summary>
    private static async Task AddAsync<T>(ReNoiseDbContext db, T entity, CancellationToken cancellationToken) where T : class
    {
        db.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
    }

    private static void RequireShape(byte[] blob, string shape, string name)
    {
        ArgumentNullException.ThrowIfNull(blob, name);
        ArgumentNullException.ThrowIfNull(shape, name + "Shape");
        bool matches;
        try
        {
            matches = FloatBlob.Matches(blob, shape);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"{name}: {ex.Message}", name, ex);
        }
        if (!matches)
            throw new ArgumentException($"{name} has {blob.Length} bytes, which is not float32 data of shape '{shape}'.", name);
    }
}
