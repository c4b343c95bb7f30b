namespace ReNoise.Benchmarks;

/// <summary>
/// The repository is found by walking up to the folder holding ReNoise.sln, from the binaries
/// (BenchmarkDotNet builds its child process below this project's bin folder) or else from the
/// working folder.
/// </summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string RepoRoot => Root.Value;

    public static string FixtureModel(string name) => Path.Combine(RepoRoot, "tests", "fixtures", "models", name);

    public static string FixtureImage(string name) => Path.Combine(RepoRoot, "tests", "fixtures", "images", name);

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "ReNoise.sln")))
                    return dir.FullName;
        throw new InvalidOperationException(
            $"ReNoise.sln not found above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}");
    }
}
