using ReNoise.Data.Entities;
using ReNoise.Web.Jobs;

namespace ReNoise.Web.Tests.Services;

public sealed class FairQueueTests
{
    private static readonly Guid Alice = Guid.NewGuid(), Bob = Guid.NewGuid(), Carol = Guid.NewGuid();

    private static JobTicket Ticket(Guid owner, string model = "demo") => new(Guid.NewGuid(), owner, JobKind.Invert, model);

    [Fact]
    public void Owners_take_turns_so_a_burst_from_one_session_does_not_starve_the_others()
    {
        var queue = new FairQueue();
        var a1 = Ticket(Alice); var a2 = Ticket(Alice); var a3 = Ticket(Alice);
        var b1 = Ticket(Bob); var c1 = Ticket(Carol); var b2 = Ticket(Bob);
        foreach (var t in new[] { a1, a2, a3, b1, c1, b2 }) queue.Enqueue(t);

        Assert.Equal([a1, b1, c1, a2, b2, a3], queue.Order("demo"));
        Assert.Equal(4, queue.PositionOf(a2.JobId));

        var started = new List<JobTicket>();
        while (queue.TryDequeue("demo", out var next)) started.Add(next);
        Assert.Equal([a1, b1, c1, a2, b2, a3], started);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void An_owner_who_just_had_a_turn_waits_behind_a_newcomer()
    {
        var queue = new FairQueue();
        var a1 = Ticket(Alice); var a2 = Ticket(Alice);
        queue.Enqueue(a1);
        queue.Enqueue(a2);
        Assert.True(queue.TryDequeue("demo", out var first));
        Assert.Equal(a1, first);

        var b1 = Ticket(Bob);
        queue.Enqueue(b1);
        Assert.Equal([a2, b1], queue.Order("demo")); // Alice was already back in line before Bob arrived
        var a3 = Ticket(Alice);
        queue.Enqueue(a3);
        Assert.Equal([a2, b1, a3], queue.Order("demo"));
    }

    [Fact]
    public void Models_have_separate_lines_and_removal_closes_the_gap()
    {
        var queue = new FairQueue();
        var d1 = Ticket(Alice, "demo"); var x1 = Ticket(Alice, "sdxl"); var d2 = Ticket(Bob, "demo"); var d3 = Ticket(Carol, "demo");
        foreach (var t in new[] { d1, x1, d2, d3 }) queue.Enqueue(t);

        Assert.Equal(1, queue.PositionOf(x1.JobId));
        Assert.Equal(3, queue.PositionOf(d3.JobId));
        Assert.True(queue.Remove(d2.JobId));
        Assert.False(queue.Remove(d2.JobId));
        Assert.Equal(2, queue.PositionOf(d3.JobId));
        Assert.Null(queue.PositionOf(d2.JobId));
        Assert.Equal(["demo", "sdxl"], queue.Models.Order());
        Assert.True(queue.TryDequeue("sdxl", out var x));
        Assert.Equal(x1, x);
        Assert.False(queue.TryDequeue("sdxl", out _));
        Assert.Equal(["demo"], queue.Models);
    }
}
