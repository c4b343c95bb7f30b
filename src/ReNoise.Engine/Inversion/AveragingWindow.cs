using System.Globalization;

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

    public override string ToString() => $"{Start}:{End}";

    /// <summary>Parses "LO:HI"; <paramref name="optionName"/> names the option in error messages.</summary>
    public static AveragingWindow Parse(string text, string optionName)
    {
        var parts = text.Split(':');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int lo)
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int hi))
            throw new ReNoiseInputException($"{optionName} must be LO:HI with integers, got '{text}'");
        var window = new AveragingWindow(lo, hi);
        window.Validate(optionName);
        return window;
    }

    public void Validate(string optionName)
    {
        if (Start < 0) throw new ReNoiseInputException($"{optionName} {this}: LO must be at least 0");
        if (Start >= End) throw new ReNoiseInputException($"{optionName} {this}: LO must be less than HI");
    }
}
