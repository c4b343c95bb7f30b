using System.Collections.Concurrent;

namespace ReNoise.Web.Services;

/// <summary>
/// Tells a session's open pages that its gallery changed (an inversion deleted or imported in another
/// tab), so lists that link to it refresh instead of offering links to what is gone. In-process: the
/// pages and the deletes both live in the web app.
/// </summary>
public sealed class GalleryEvents
{
    private readonly ConcurrentDictionary<Guid, ImmutableHandlers> _handlers = new();

    /// <summary>Calls <paramref name="handler"/> whenever the owner's gallery changes, until disposed. Handlers must not block.</summary>
    public IDisposable Subscribe(Guid owner, Action handler)
    {
        _handlers.AddOrUpdate(owner, _ => new([handler]), (_, h) => new([.. h.Items, handler]));
        return new Subscription(() =>
        {
            while (_handlers.TryGetValue(owner, out var current))
            {
                var rest = current.Items.Where(h => h != handler).ToArray();
                bool done = rest.Length == 0
                    ? _handlers.TryRemove(new KeyValuePair<Guid, ImmutableHandlers>(owner, current))
                    : _handlers.TryUpdate(owner, new(rest), current);
                if (done) return;
            }
        });
    }

    public void Changed(Guid owner)
    {
        if (_handlers.TryGetValue(owner, out var handlers))
            foreach (var handler in handlers.Items) handler();
    }

    /// <summary>Subscribers of one owner (for tests: a page that went away leaves none).</summary>
    public int CountOf(Guid owner) => _handlers.TryGetValue(owner, out var h) ? h.Items.Length : 0;

    private sealed record ImmutableHandlers(Action[] Items);

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;
        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
