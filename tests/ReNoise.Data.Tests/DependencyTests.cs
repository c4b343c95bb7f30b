using System.Text.Json;

namespace ReNoise.Data.Tests;

public sealed class DependencyTests
{
    [Fact]
    public void Data_layer_needs_no_AspNetCore()
    {
        var referenced = typeof(GalleryStore).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "");
        Assert.DoesNotContain(referenced, name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));

        // The shared frameworks this test host runs on are what its references (ReNoise.Data and its
        // packages) asked for: a FrameworkReference to ASP.NET Core anywhere below would add it here.
        string path = Path.Combine(AppContext.BaseDirectory, "ReNoise.Data.Tests.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var runtime = config.RootElement.GetProperty("runtimeOptions");
        var frameworks = runtime.TryGetProperty("frameworks", out var list)
            ? list.EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList()
            : [runtime.GetProperty("framework").GetProperty("name").GetString()];
        Assert.Equal(["Microsoft.NETCore.App"], frameworks);
    }
}
