namespace ReNoise.TestSupport;

/// <summary>
/// Test data read in place from the repository (no copy to the output folder): the root is found
/// by walking up from the test assembly's folder to the one holding ReNoise.sln.
/// </summary>
public static class TestPaths
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    public static string RepoRoot => Root.Value;

    /// <summary>tests/ReNoise.Engine.Tests (source folder, not bin).</summary>
    public static string EngineTests => Path.Combine(RepoRoot, "tests", "ReNoise.Engine.Tests");

    /// <summary>tests/fixtures (shared fixture models and images; may not exist on every branch).</summary>
    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");

    public static string FixtureModels => Path.Combine(Fixtures, "models");

    /// <summary>src/ReNoise.Web, the studio's content root.</summary>
    public static string WebProject => Path.Combine(RepoRoot, "src", "ReNoise.Web");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ReNoise.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"ReNoise.sln not found above {AppContext.BaseDirectory}");
    }
}
