using System.Text;

namespace ReNoise.Jobs.Distributed;

/// <summary>The broker's names the studio chooses itself (MassTransit names the rest after message types).</summary>
public static class BrokerNames
{
    /// <summary>
    /// The queue of one model's jobs: web nodes send a model's jobs there; every worker that has the model
    /// consumes it (competing consumers), so a job only ever reaches a worker that can run it.
    /// </summary>
    public static string ModelQueue(string model)
    {
        var name = new StringBuilder("renoise.model.");
        foreach (char c in model.Trim().ToLowerInvariant())
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        return name.ToString();
    }

    public static Uri ModelQueueAddress(string model) => new($"queue:{ModelQueue(model)}");
}
