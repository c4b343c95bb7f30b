namespace ReNoise.Engine;

/// <summary>
/// Bad input from the user (missing file, undecodable image, out-of-range parameter).
/// The message is one line that names the problem; front ends print it as is.
/// </summary>
public sealed class ReNoiseInputException : Exception
{
    public ReNoiseInputException(string message) : base(message) { }
    public ReNoiseInputException(string message, Exception inner) : base(message, inner) { }
}
