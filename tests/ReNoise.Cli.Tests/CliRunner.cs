using ReNoise.TestSupport;

namespace ReNoise.Cli.Tests;

/// <summary>Runs `renoise` in process and captures what it prints.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    public static string Model(string name) => Path.Combine(TestPaths.FixtureModels, name);

    public static string Image(string name) => Path.Combine(TestPaths.Fixtures, "images", name);
}
