using ReNoise.Data.Entities;

namespace ReNoise.Web.Jobs;

/// <summary>
/// Queued jobs per model, served round-robin across owners: each time a model has a free slot,
/// the next owner in turn gets one job started (oldest first within an owner), so one session
/// queueing many jobs cannot starve the others. Not thread-safe: the caller locks.
/// </summary>
public sealed class FairQueue
{
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<Guid, JobTicket> _byId = [];

    public int Count => _byId.Count;

    public IEnumerable<string> Models => _lanes.Where(l => l.Value.Count > 0).Select(l => l.Key);

    public bool Contains(Guid jobId) => _byId.ContainsKey(jobId);

    public JobTicket? Find(Guid jobId) => _byId.GetValueOrDefault(jobId);

    public void Enqueue(JobTicket ticket)
    {
        if (!_byId.TryAdd(ticket.JobId, ticket)) return;
        if (!_lanes.TryGetValue(ticket.Model, out var lane)) _lanes[ticket.Model] = lane = new Lane();
        lane.Add(ticket);
    }

    /// <summary>The job that starts next on <paramref name="model"/>: the next owner's oldest job.</summary>
    public bool TryDequeue(string model, out JobTicket ticket)
    {
        ticket = null!;
        if (!_lanes.TryGetValue(model, out var lane) || !lane.TryTake(out ticket)) return false;
        _byId.Remove(ticket.JobId);
        return true;
    }

    public bool Remove(Guid jobId)
    {
        if (!_byId.Remove(jobId, out var ticket)) return false;
        _lanes[ticket.Model].Remove(ticket);
        return true;
    }

    /// <summary>The order in which the queued jobs of <paramref name="model"/> will start, if nothing else arrives.</summary>
    public IReadOnlyList<JobTicket> Order(string model) =>
        _lanes.TryGetValue(model, out var lane) ? lane.Order() : [];

    /// <summary>1-based place of the job in its model's start order, or null when it is not queued.</summary>
    public int? PositionOf(Guid jobId)
    {
        if (!_byId.TryGetValue(jobId, out var ticket)) return null;
        var order = Order(ticket.Model);
        for (int i = 0; i < order.Count; i++)
            if (order[i].JobId == jobId) return i + 1;
        return null;
    }

    private sealed class Lane
    {
        // Owners in turn order; an owner leaves the ring when its last job is taken or removed.
        private readonly LinkedList<Guid> _turns = new();
        private readonly Dictionary<Guid, LinkedList<JobTicket>> _jobs = [];

        public int Count => _jobs.Sum(j => j.Value.Count);

        public void Add(JobTicket ticket)
        {
            if (!_jobs.TryGetValue(ticket.OwnerId, out var list))
            {
                _jobs[ticket.OwnerId] = list = new LinkedList<JobTicket>();
                _turns.AddLast(ticket.OwnerId);
            }
            list.AddLast(ticket);
        }

        public bool TryTake(out JobTicket ticket)
        {
            ticket = null!;
            if (_turns.First is not { } first) return false;
            var owner = first.Value;
            var list = _jobs[owner];
            ticket = list.First!.Value;
            list.RemoveFirst();
            _turns.RemoveFirst();
            if (list.Count > 0) _turns.AddLast(owner);
            else _jobs.Remove(owner);
            return true;
        }

        public void Remove(JobTicket ticket)
        {
            var list = _jobs[ticket.OwnerId];
            list.Remove(ticket);
            if (list.Count == 0)
            {
                _jobs.Remove(ticket.OwnerId);
                _turns.Remove(ticket.OwnerId);
            }
        }

        public IReadOnlyList<JobTicket> Order()
        {
            var order = new List<JobTicket>();
            var cursors = _turns.Select(owner => _jobs[owner].First).ToList();
            bool any = true;
            while (any)
            {
                any = false;
                for (int i = 0; i < cursors.Count; i++)
                {
                    if (cursors[i] is not { } node) continue;
                    order.Add(node.Value);
                    cursors[i] = node.Next;
                    any = true;
                }
            }
            return order;
        }
    }
}
