using ReNoise.Cli.Bench;
using ReNoise.Engine;
using ReNoise.TestSupport;

namespace ReNoise.Cli.Tests.Bench;

public sealed class BenchImagesTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public BenchImagesTests()
    {
        foreach (var name in new[] { "rocket.jpg", "coffee.png" })
            File.Copy(Path.Combine(TestPaths.RepoRoot, "bench", "data", name), _temp.File(name));
        File.WriteAllText(_temp.File("notes.txt"), "not an image");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Images_are_sorted_by_name_and_take_their_captions_from_captions_json()
    {
        File.WriteAllText(_temp.File("captions.json"), """{ "coffee.png": "a cup", "rocket.jpg": "a rocket, launching" }""");
        var images = BenchImages.Discover(_temp.Path, null, null);
        Assert.Equal([("coffee.png", "a cup"), ("rocket.jpg", "a rocket, launching")], images.Select(i => (i.Name, i.Prompt)));
        Assert.Equal(_temp.File("coffee.png"), images[0].Path);
    }

    [Fact]
    public void A_fixed_prompt_applies_to_every_image_and_a_prompt_file_elsewhere_is_read()
    {
        Assert.All(BenchImages.Discover(_temp.Path, null, "a photo"), i => Assert.Equal("a photo", i.Prompt));
        string file = _temp.File("other.json");
        File.WriteAllText(file, """{ "coffee.png": "coffee", "rocket.jpg": "rocket" }""");
        Assert.Equal(["coffee", "rocket"], BenchImages.Discover(_temp.Path, file, null).Select(i => i.Prompt));
    }

    [Fact]
    public void Missing_prompts_and_bad_caption_files_are_bad_input()
    {
        Assert.Contains("--prompt", Assert.Throws<ReNoiseInputException>(() => BenchImages.Discover(_temp.Path, null, null)).Message);
        string partial = _temp.File("partial.json");
        File.WriteAllText(partial, """{ "coffee.png": "coffee" }""");
        Assert.Contains("rocket.jpg", Assert.Throws<ReNoiseInputException>(() => BenchImages.Discover(_temp.Path, partial, null)).Message);
        string broken = _temp.File("broken.json");
        File.WriteAllText(broken, "[1, 2");
        Assert.Contains("JSON object", Assert.Throws<ReNoiseInputException>(() => BenchImages.Discover(_temp.Path, broken, null)).Message);
        Assert.Contains("not found", Assert.Throws<ReNoiseInputException>(() => BenchImages.Discover(_temp.File("nope"), null, "x")).Message);
    }

    [Fact]
    public void The_bench_photos_in_the_repository_all_have_captions()
    {
        var images = BenchImages.Discover(Path.Combine(TestPaths.RepoRoot, "bench", "data"), null, null);
        Assert.Equal(["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"], images.Select(i => i.Name));
        Assert.All(images, i => Assert.False(string.IsNullOrWhiteSpace(i.Prompt)));
    }
}
