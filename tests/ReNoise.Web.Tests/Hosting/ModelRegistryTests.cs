using ReNoise.Engine;
using ReNoise.Engine.Models;
using ReNoise.Engine.Schedulers;
using ReNoise.Hosting;
using ReNoise.TestSupport;

namespace ReNoise.Web.Tests.Hosting;

public sealed class ModelRegistryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ReNoiseSettings Settings(params (string? Name, string? Path)[] models) => new()
    {
        ExecutionProvider = "cpu",
        IntraOpThreads = 1,
        Models = models.Select(m => new ModelEntrySettings { Name = m.Name, Path = m.Path }).ToList(),
    };

    /// <summary>The fixture models folder as the base directory: entries use paths relative to it.</summary>
    private static ModelRegistry Fixtures(params (string? Name, string? Path)[] models) =>
        ModelRegistry.Create(Settings(models), TestPaths.FixtureModels);

    [Fact]
    public void RelativePathsResolveAgainstTheBaseDirectoryAndAbsoluteOnesStay()
    {
        using var registry = Fixtures(("turbo", "tiny-sd-turbo"), ("xl", FixturePaths.Model("tiny-sdxl-turbo")), ("lcm", "./tiny-lcm/"));

        Assert.Empty(registry.Problems);
        Assert.Equal(["turbo", "xl", "lcm"], registry.Models.Select(m => m.Name));
        Assert.Equal(Path.GetFullPath(FixturePaths.Model("tiny-sd-turbo")), registry.Models[0].Path);
        Assert.Equal(Path.GetFullPath(FixturePaths.Model("tiny-sdxl-turbo")), registry.Models[1].Path);
        Assert.Equal(Path.GetFullPath(FixturePaths.Model("tiny-lcm")), registry.Models[2].Path);
        Assert.Equal([ModelVariant.SdTurbo, ModelVariant.SdxlTurbo, ModelVariant.Lcm], registry.Models.Select(m => m.Variant));
        Assert.Equal(["sd-turbo", "sdxl-turbo", "lcm"], registry.Models.Select(m => m.Preset.Name));
        Assert.Equal("turbo", registry.DefaultModelName);   // no DefaultModel: the first usable entry
        Assert.Equal(ExecutionProvider.Cpu, registry.LoadOptions.ExecutionProvider);
    }

    [Fact]
    public void InvalidEntriesAreReportedWithTheirReasonAndSkipped()
    {
        using var broken = new TempModelCopy("tiny-sd-turbo");
        File.Delete(broken.PathOf("unet", "model.onnx"));

        using var registry = Fixtures(
            ("good", "tiny-sd-turbo"),
            ("missing", "no-such-model"),
            ("broken", broken.Root),
            (null, "tiny-lcm"),
            ("good", "tiny-lcm"),
            ("nopath", "  "));

        Assert.Equal(["good"], registry.Models.Select(m => m.Name));
        Assert.Equal(5, registry.Problems.Count);
        Assert.All(registry.Problems, p => Assert.EndsWith("; entry skipped", p));
        Assert.All(registry.Problems, AssertOneLine);
        Assert.StartsWith("ReNoise:Models:1 (\"missing\"): model folder not found: ", registry.Problems[0]);
        Assert.Contains(Path.Combine(TestPaths.FixtureModels, "no-such-model"), registry.Problems[0]);
        Assert.StartsWith("ReNoise:Models:2 (\"broken\"): model folder is missing ", registry.Problems[1]);
        Assert.Contains(broken.PathOf("unet", "model.onnx"), registry.Problems[1]);
        Assert.Equal("ReNoise:Models:3: Name is missing; entry skipped", registry.Problems[2]);
        Assert.Equal("ReNoise:Models:4 (\"good\"): the name is already used by an earlier entry; entry skipped", registry.Problems[3]);
        Assert.Equal("ReNoise:Models:5 (\"nopath\"): Path is missing; entry skipped", registry.Problems[4]);
    }

    [Fact]
    public void ARelativePathIsTakenFromTheFirstBaseDirectoryThatHoldsIt()
    {
        // An empty folder first: entries found only under the fixtures resolve there, a missing one is reported under the first.
        Directory.CreateDirectory(_temp.File("tiny-lcm"));
        using var registry = ModelRegistry.Create(Settings(("turbo", "tiny-sd-turbo"), ("lcm", "tiny-lcm"), ("gone", "no-such-model")),
            [_temp.Path, TestPaths.FixtureModels]);

        Assert.Equal(["turbo"], registry.Models.Select(m => m.Name));
        Assert.Equal(Path.GetFullPath(FixturePaths.Model("tiny-sd-turbo")), registry.Models[0].Path);
        Assert.Equal(2, registry.Problems.Count);
        // The first base holds an (incomplete) tiny-lcm folder: it wins over the fixture's complete one.
        Assert.StartsWith("ReNoise:Models:1 (\"lcm\"): ", registry.Problems[0]);
        Assert.Contains(_temp.File("tiny-lcm"), registry.Problems[0]);
        Assert.Equal($"ReNoise:Models:2 (\"gone\"): model folder not found: {_temp.File("no-such-model")}; entry skipped", registry.Problems[1]);
    }

    [Fact]
    public void AnEntrysConcurrencyIsKeptAndOneBelowOneSkipsTheEntry()
    {
        var settings = Settings(("a", "tiny-sd-turbo"), ("b", "tiny-lcm"), ("c", "tiny-sd15-ddim"));
        settings.Models[0].Concurrency = 3;
        settings.Models[2].Concurrency = 0;
        using var registry = ModelRegistry.Create(settings, TestPaths.FixtureModels);

        Assert.Equal(["a", "b"], registry.Models.Select(m => m.Name));
        Assert.Equal([3, null], registry.Models.Select(m => m.Concurrency));
        Assert.Equal("ReNoise:Models:2 (\"c\"): Concurrency must be from 1 to 64, got 0; entry skipped", Assert.Single(registry.Problems));
    }

    private static readonly ModelPreset DemoPreset = ModelPreset.SdTurbo with
    {
        Name = "demo",
        Parameters = ModelPreset.SdTurbo.Parameters with { NoiseCorrection = NoiseCorrectionMode.Exact },
    };

    [Fact]
    public void TheFallbackIsOfferedWithItsPresetOnlyWhenNoConfiguredEntryIsUsable()
    {
        var fallback = new FallbackModel("demo", "tiny-sd-turbo", DemoPreset);
        var broken = Settings(("x", "no-such-model"));
        broken.DefaultModel = "x";
        using (var registry = ModelRegistry.Create(broken, [TestPaths.FixtureModels], fallback))
        {
            var demo = Assert.Single(registry.Models);
            Assert.Equal("demo", demo.Name);
            Assert.True(demo.IsFallback);
            Assert.Same(DemoPreset, demo.Preset);
            Assert.Null(demo.Concurrency);
            Assert.Equal(Path.GetFullPath(FixturePaths.Model("tiny-sd-turbo")), demo.Path);
            Assert.Equal("demo", registry.DefaultModelName);
            Assert.Equal(2, registry.Problems.Count);
            Assert.StartsWith("ReNoise:Models:0 (\"x\"): model folder not found: ", registry.Problems[0]);
            Assert.Equal("ReNoise:DefaultModel \"x\" is not a usable model; using \"demo\"", registry.Problems[1]);
            using var lease = registry.Acquire();
            Assert.Equal("demo", lease.Name);
        }

        using (var registry = ModelRegistry.Create(Settings(("lcm", "tiny-lcm")), [TestPaths.FixtureModels], fallback))
        {
            var lcm = Assert.Single(registry.Models);
            Assert.False(lcm.IsFallback);
            Assert.Same(ModelPreset.Lcm, lcm.Preset);
            Assert.Null(registry.Find("demo"));
            Assert.Empty(registry.Problems);
        }

        // Without a preset of its own the fallback takes its variant's, like an entry.
        using (var registry = ModelRegistry.Create(Settings(), [TestPaths.FixtureModels], new FallbackModel("demo", "tiny-sd-turbo")))
            Assert.Same(ModelPreset.SdTurbo, Assert.Single(registry.Models).Preset);
    }

    [Fact]
    public void AnUnusableFallbackIsReportedAndNothingIsOffered()
    {
        using var registry = ModelRegistry.Create(Settings(), [TestPaths.FixtureModels], new FallbackModel("demo", "no-such-model", DemoPreset));

        Assert.Empty(registry.Models);
        Assert.Null(registry.DefaultModelName);
        var problem = Assert.Single(registry.Problems);
        Assert.Equal($"fallback model \"demo\": model folder not found: {Path.Combine(TestPaths.FixtureModels, "no-such-model")}; not offered", problem);
        Assert.Throws<ReNoiseInputException>(() => registry.Acquire());
    }

    [Fact]
    public void TheDefaultModelIsTheConfiguredOneOrElseTheFirstUsable()
    {
        var settings = Settings(("a", "tiny-sd-turbo"), ("b", "tiny-lcm"));
        settings.DefaultModel = "B";
        using (var registry = ModelRegistry.Create(settings, TestPaths.FixtureModels))
        {
            Assert.Equal("b", registry.DefaultModelName);
            Assert.Empty(registry.Problems);
        }

        settings.DefaultModel = "gone";
        using (var registry = ModelRegistry.Create(settings, TestPaths.FixtureModels))
        {
            Assert.Equal("a", registry.DefaultModelName);
            Assert.Equal("ReNoise:DefaultModel \"gone\" is not a usable model; using \"a\"", Assert.Single(registry.Problems));
        }

        var none = Settings(("x", "no-such-model"));
        none.DefaultModel = "x";
        using (var registry = ModelRegistry.Create(none, TestPaths.FixtureModels))
        {
            Assert.Null(registry.DefaultModelName);
            Assert.Empty(registry.Models);
            Assert.Equal(2, registry.Problems.Count);
            Assert.Contains("no model is usable", registry.Problems[1]);
            Assert.Throws<ReNoiseInputException>(() => registry.Acquire());
        }
    }

    [Fact]
    public void ModelsLoadOnFirstUseAndEveryJobSharesTheSameSessions()
    {
        using var registry = Fixtures(("turbo", "tiny-sd-turbo"));
        Assert.False(registry.IsLoaded("turbo"));

        DiffusionModel first;
        using (var lease = registry.Acquire())
        {
            Assert.Equal("turbo", lease.Name);
            first = lease.Model;
            Assert.True(registry.IsLoaded("turbo"));
        }
        // Returning the lease keeps the model (whose sessions are created once, on first use) for the next job.
        Assert.True(registry.IsLoaded("TURBO"));
        using (var again = registry.Acquire("Turbo"))
            Assert.Same(first, again.Model);
    }

    [Fact]
    public void AModelBatchesAsManyJobsAsTheHostRunsAtOnce()
    {
        var settings = Settings(("turbo", "tiny-sd-turbo"), ("lcm", "tiny-lcm"));
        settings.Models[1].Concurrency = 3;
        using var registry = ModelRegistry.Create(settings, [TestPaths.FixtureModels], defaultConcurrency: 2);

        Assert.Equal([2, 3], registry.Models.Select(registry.ConcurrencyOf));
        using (var turbo = registry.Acquire("turbo")) Assert.Equal(2, turbo.Model.BatchJobs);
        using (var lcm = registry.Acquire("lcm")) Assert.Equal(3, lcm.Model.BatchJobs);
    }

    [Fact]
    public void ConcurrentFirstUsesLoadTheModelOnce()
    {
        using var registry = Fixtures(("turbo", "tiny-sd-turbo"));
        using var start = new Barrier(4);
        var leases = new ModelLease[4];
        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            leases[i] = registry.Acquire("turbo");
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();

        Assert.All(leases, l => Assert.Same(leases[0].Model, l.Model));
        foreach (var lease in leases) lease.Dispose();
    }

    [Fact]
    public void ReleaseFreesAnIdleModelAndTheNextUseLoadsItAgain()
    {
        using var registry = Fixtures(("turbo", "tiny-sd-turbo"));
        Assert.False(registry.Release("turbo"));   // nothing loaded yet

        DiffusionModel old;
        using (var lease = registry.Acquire("turbo")) old = lease.Model;
        Assert.True(registry.Release("turbo"));

        Assert.False(registry.IsLoaded("turbo"));
        Assert.Throws<ObjectDisposedException>(() => old.CountPromptTokens("a cat"));
        using var fresh = registry.Acquire("turbo");
        Assert.NotSame(old, fresh.Model);
        Assert.Equal(75, fresh.Model.CountPromptTokens("a cat").Limit);
    }

    [Fact]
    public void ReleaseWaitsForTheJobsThatHoldTheModel()
    {
        using var registry = Fixtures(("turbo", "tiny-sd-turbo"));
        var job1 = registry.Acquire("turbo");
        var job2 = registry.Acquire("turbo");

        Assert.True(registry.Release("turbo"));
        job1.Dispose();
        job1.Dispose();   // a second dispose must not count twice
        Assert.Equal(75, job2.Model.CountPromptTokens("still usable").Limit);
        Assert.True(registry.IsLoaded("turbo"));

        job2.Dispose();
        Assert.False(registry.IsLoaded("turbo"));
        Assert.Throws<ObjectDisposedException>(() => job2.Model.CountPromptTokens("gone"));
    }

    [Fact]
    public void UnknownNamesAreBadInputListingTheConfiguredOnes()
    {
        using var registry = Fixtures(("turbo", "tiny-sd-turbo"), ("lcm", "tiny-lcm"));
        var e = Assert.Throws<ReNoiseInputException>(() => registry.Acquire("sdxl"));
        Assert.Equal("unknown model \"sdxl\" (configured: turbo, lcm)", e.Message);
        Assert.Throws<ReNoiseInputException>(() => registry.Release("sdxl"));
    }

    [Fact]
    public void DisposingTheRegistryFreesEveryLoadedModel()
    {
        var registry = Fixtures(("turbo", "tiny-sd-turbo"));
        DiffusionModel model;
        using (var lease = registry.Acquire()) model = lease.Model;
        registry.Dispose();

        Assert.Throws<ObjectDisposedException>(() => model.CountPromptTokens("a cat"));
        Assert.Throws<ObjectDisposedException>(() => registry.Acquire());
    }

    [Fact]
    public void ForcedCudaFailsAtFirstUseWithAClearMessageWhereThereIsNoGpu()
    {
        var settings = Settings(("turbo", "tiny-sd-turbo"));
        settings.ExecutionProvider = "cuda";
        using var registry = ModelRegistry.Create(settings, TestPaths.FixtureModels);
        Assert.Empty(registry.Problems);   // start-up only validates folders

        if (OnnxCuda.IsUsable)
        {
            using var lease = registry.Acquire();
            Assert.Equal("CUDAExecutionProvider", lease.Model.ExecutionProvider);
            return;
        }
        var e = Assert.Throws<ReNoiseInputException>(() => registry.Acquire());
        Assert.StartsWith("CUDA execution provider is not available (", e.Message);
        Assert.Contains("CUDA 13 and cuDNN 9", e.Message);
        AssertOneLine(e.Message);
        Assert.False(registry.IsLoaded("turbo"));
    }

    private static void AssertOneLine(string message)
    {
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
    }
}

/// <summary>Whether this machine can run ONNX Runtime's CUDA provider (tests of the CPU fallback branch on it).</summary>
internal static class OnnxCuda
{
    private static readonly Lazy<bool> Usable = new(() =>
    {
        using var model = DiffusionModel.Load(FixturePaths.Model("tiny-sd-turbo"), new ModelLoadOptions { ExecutionProvider = ExecutionProvider.Auto });
        return model.ExecutionProvider == "CUDAExecutionProvider";
    });

    public static bool IsUsable => Usable.Value;
}
