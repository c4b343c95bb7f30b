namespace ReNoise.Engine.Inversion;

/// <summary>
/// Iteration indices i with <c>Start &lt;= i &lt; End</c> whose noise predictions are averaged
/// (spec §5). A window reaching past the iterations a step runs is clipped to them.
/// </summary>
public readonly record struct AveragingWindow(int Start, int End)
{
    public bool Contains(int iteration) => iteration >= Start && iteration < End;

    /// <summary>True when at least one of the iterations 0..lastIteration falls in the window.</summary>
    public bool Covers(int lastIteration) => Start <= lastIteration;

    /// <summary>"LO:HI", the form manifests and the CLI use.</summary>
    public override string ToString() => $"{Start}:{End}";
}
