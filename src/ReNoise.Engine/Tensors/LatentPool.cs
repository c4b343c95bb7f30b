using System.Collections.Concurrent;

namespace ReNoise.Engine.Tensors;

/// <summary>
/// Exact-length float buffers shared across inversions, so a server running job after job reuses
/// the scratch latents of the loop instead of allocating them (large latents land on the large
/// object heap). Rented buffers hold stale values: callers write before they read.
/// </summary>
internal static class LatentPool
{
    /// <summary>Buffers kept per length; enough for a few concurrent inversions.</summary>
    private const int MaxPerLength = 64;

    private static readonly ConcurrentDictionary<int, ConcurrentBag<float[]>> Free = new();

    public static float[] Rent(int length)
    {
        if (length == 0) return [];
        return Free.TryGetValue(length, out var bag) && bag.TryTake(out var buffer) ? buffer : new float[length];
    }

    public static void Return(float[] buffer)
    {
        if (buffer.Length == 0) return;
        var bag = Free.GetOrAdd(buffer.Length, _ => []);
        if (bag.Count < MaxPerLength) bag.Add(buffer);
    }
}
