using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using ReNoise.Web.Services;

namespace ReNoise.Web.Tests.Components;

/// <summary>A bUnit context with MudBlazor, the studio's options, validator and the bundled demo model.</summary>
/// <remarks>
/// MudBlazor registers services that only dispose asynchronously, and xunit 2 disposes test classes
/// synchronously: disposing through <see cref="IAsyncLifetime"/> first keeps the sync call a no-op.
/// </remarks>
public abstract class StudioTestContext : BunitContext, IAsyncLifetime
{
    protected StudioTestContext(Action<StudioOptions>? options = null)
    {
        var settings = TestServices.Options(options);
        Services.AddMudServices();
        Services.AddSingleton(Options.Create(settings));
        Services.AddSingleton<JobBudget>();
        Services.AddSingleton<UploadValidator>();
        Services.AddScoped<ReNoise.Web.Hosting.CircuitConnection>();
        Services.AddSingleton<IModelCatalog>(TestServices.Catalog(options: settings));
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private readonly List<IDisposable> _afterwards = [];

    /// <summary>Renders as a live circuit would (interactive), or as the prerendered page before it (not).</summary>
    protected void AsCircuit(bool interactive = true) =>
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo(interactive ? "Server" : "Static", interactive));

    /// <summary>Disposed after the context (e.g. a temp database its services used).</summary>
    protected T DisposeAfterwards<T>(T disposable) where T : IDisposable
    {
        _afterwards.Add(disposable);
        return disposable;
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var disposable in _afterwards) disposable.Dispose();
    }
}
