using ReNoise.Engine.Inversion;

namespace ReNoise.Engine;

/// <summary>
/// Bad input from the user (missing file, undecodable image, out-of-range parameter).
/// The message is one line that names the problem. When the input was a parameter,
/// <see cref="Problems"/> says which ones, so a front end can name them in its own words
/// (a CLI flag, a form field) instead of printing the message.
/// </summary>
public sealed class ReNoiseInputException : Exception
{
    public ReNoiseInputException(string message) : base(message) => Problems = [];

    public ReNoiseInputException(string message, Exception inner) : base(message, inner) => Problems = [];

    public ReNoiseInputException(IReadOnlyList<ParameterProblem> problems)
        : base(string.Join("; ", problems.Select(p => p.ToString())))
    {
        if (problems.Count == 0) throw new ArgumentException("at least one problem is needed", nameof(problems));
        Problems = problems;
    }

    public ReNoiseInputException(ParameterProblem problem) : this([problem]) { }

    /// <summary>The parameters at fault, each with what is wrong; empty when the input was not a parameter.</summary>
    public IReadOnlyList<ParameterProblem> Problems { get; }

    /// <summary>
    /// The message with each parameter named by <paramref name="name"/> (e.g. its CLI flag): the
    /// problems joined by "; ", or <see cref="Exception.Message"/> when none is a parameter.
    /// </summary>
    public string Describe(Func<ParameterKey, string> name) =>
        Problems.Count == 0 ? Message : string.Join("; ", Problems.Select(p => p.Describe(name(p.Key))));
}
