namespace ReNoise.TestSupport;

/// <summary>Finds the committed fixtures by walking up from the test binaries to the folder holding ReNoise.sln.</summary>
public static class FixturePaths
{
    public static string RepoRoot => TestPaths.RepoRoot;

    /// <summary>tests/fixtures/models/&lt;name&gt;.</summary>
    public static string Model(string name) => Path.Combine(RepoRoot, "tests", "fixtures", "models", name);

    /// <summary>tests/fixtures/models/&lt;name&gt;/reference/&lt;file&gt;.</summary>
    public static string Reference(string model, string file) => Path.Combine(Model(model), "reference", file);

    /// <summary>Derived test models of this folder (see Data/make_variants.py).</summary>
    public static string TestData(string file) =>
        Path.Combine(RepoRoot, "tests", "ReNoise.Engine.Tests", "Models", "Data", file);
}

/// <summary>A throwaway copy of a fixture model (without its reference data) that a test may damage.</summary>
public sealed class TempModelCopy : IDisposable
{
    public TempModelCopy(string fixture)
    {
        Root = Path.Combine(Path.GetTempPath(), "renoise-model-tests", Guid.NewGuid().ToString("N"), fixture);
        var source = FixturePaths.Model(fixture);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("reference", StringComparison.Ordinal)) continue;
            var target = Path.Combine(Root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public string Root { get; }

    public string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public void Dispose()
    {
        try { Directory.Delete(Path.GetDirectoryName(Root)!, recursive: true); }
        catch (IOException) { }
    }
}
