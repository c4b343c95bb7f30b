using ReNoise.Data;

namespace ReNoise.Web.Services;

/// <summary>
/// The gallery for components: each call runs in its own DI scope, because a
/// <see cref="GalleryStore"/> (a DbContext) must not serve two operations at once and a Blazor
/// circuit can start several (a timer refresh while a click handler runs).
/// </summary>
public sealed class GalleryService(IServiceScopeFactory scopes)
{
    public Task<IReadOnlyList<InversionSummary>> ListInversionsAsync(Guid owner, InversionSort sort) =>
        Use(s => s.ListInversionsAsync(owner, sort));

    public Task<InversionDetails?> GetInversionAsync(Guid owner, Guid inversionId) =>
        Use(async s => await s.GetInversionAsync(owner, inversionId) is { } row ? InversionRecords.ToDetails(row) : null);

    public Task<bool> DeleteInversionAsync(Guid owner, Guid inversionId) => Use(s => s.DeleteInversionAsync(owner, inversionId));

    public Task<IReadOnlyList<EditSummary>> ListEditsAsync(Guid owner, Guid inversionId) => Use(s => s.ListEditsAsync(owner, inversionId));

    public Task<bool> DeleteEditAsync(Guid owner, Guid editId) => Use(s => s.DeleteEditAsync(owner, editId));

    public Task<IReadOnlyList<ShareLinkInfo>> ListShareLinksAsync(Guid owner, Guid inversionId) =>
        Use(s => s.ListShareLinksAsync(owner, inversionId));

    public Task<string?> CreateShareLinkAsync(Guid owner, Guid inversionId, Guid? editId) =>
        Use(s => s.CreateShareLinkAsync(owner, inversionId, editId));

    public Task<bool> RevokeShareLinkAsync(Guid owner, string token) => Use(s => s.RevokeShareLinkAsync(owner, token));

    public Task<SharedInversionView?> ResolveShareLinkAsync(string token) => Use(s => s.ResolveShareLinkAsync(token));

    public Task<JobInfo?> GetJobAsync(Guid owner, Guid jobId) => Use(s => s.GetJobAsync(owner, jobId));

    public Task<IReadOnlyList<JobInfo>> ListActiveJobsAsync(Guid owner) => Use(s => s.ListActiveJobsAsync(owner));

    public Task<IReadOnlyList<JobInfo>> ListRecentJobsAsync(Guid owner, int limit) => Use(s => s.ListRecentJobsAsync(owner, limit));

    private async Task<T> Use<T>(Func<GalleryStore, Task<T>> operation)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await operation(scope.ServiceProvider.GetRequiredService<GalleryStore>());
    }
}
