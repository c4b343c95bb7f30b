using ReNoise.Data;
using ReNoise.Data.Entities;

namespace ReNoise.Web.Tests.Integration;

internal static class Waiting
{
    /// <summary>Polls the job's row until it reaches one of <paramref name="statuses"/>.</summary>
    public static async Task<JobInfo> ForJobAsync(StudioFactory factory, Guid owner, Guid job, TimeSpan timeout, params JobStatus[] statuses)
    {
        var deadline = DateTime.UtcNow + timeout;
        JobInfo? info = null;
        while (DateTime.UtcNow < deadline)
        {
            info = await factory.WithStoreAsync(s => s.GetJobAsync(owner, job));
            if (info is not null && statuses.Contains(info.Status)) return info;
            await Task.Delay(50);
        }
        throw new TimeoutException($"job {job} is {info?.Status.ToString() ?? "missing"} after {timeout}, expected {string.Join("/", statuses)}");
    }

    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
