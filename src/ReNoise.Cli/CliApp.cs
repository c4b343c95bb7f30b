using System.CommandLine;
using ReNoise.Engine;
using ReNoise.Engine.Inversion;

namespace ReNoise.Cli;

/// <summary>The `renoise` command line: invert, edit, reconstruct, bench. Exit 0 on success, 2 on bad input, 1 on failure.</summary>
public static class CliApp
{
    public const int BadInput = 2;
    public const int Failure = 1;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("ReNoise: invert real images into a diffusion model's noise space and edit them by prompt.");
        root.Subcommands.Add(InvertCommand.Create(stdout));
        root.Subcommands.Add(DenoiseCommands.CreateEdit(stdout));
        root.Subcommands.Add(DenoiseCommands.CreateReconstruct(stdout));
        root.Subcommands.Add(BenchCommand.Create(stdout, stderr));
        root.Subcommands.Add(BenchThroughputCommand.Create(stdout));

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            stderr.WriteLine($"error: {Readable(parsed.Errors[0].Message)}");
            return BadInput;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (ReNoiseInputException e)
        {
            stderr.WriteLine($"error: {CliParameters.Describe(e)}");
            return BadInput;
        }
        catch (InversionDivergedException e)
        {
            stderr.WriteLine($"error: {e.Describe(CliParameters.Flag)}");
            return Failure;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("error: cancelled");
            return Failure;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"error: {e.GetType().Name}: {FirstLine(e.Message)}");
            return Failure;
        }
    }

    /// <summary>Parse errors name CLR types ("System.Nullable`1[System.Int32]"); say what a user types instead.</summary>
    private static string Readable(string message) => FirstLine(message)
        .Replace("System.Nullable`1[System.Int32]", "integer")
        .Replace("System.Nullable`1[System.Double]", "number")
        .Replace("System.String", "text");

    internal static string FirstLine(string message)
    {
        int newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }

    internal static Option<T> Required<T>(string name, string description) => new(name) { Description = description, Required = true };

    internal static Option<T> Optional<T>(string name, string description) => new(name) { Description = description };

    internal static double Ms(TimeSpan t) => Math.Round(t.TotalMilliseconds, 3);

    internal static void PrintWarnings(TextWriter stdout, IEnumerable<string> warnings)
    {
        foreach (var w in warnings) stdout.WriteLine($"warning: {w}");
    }
}
