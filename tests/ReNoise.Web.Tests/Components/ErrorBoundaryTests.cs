using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Data.Sqlite;
using ReNoise.Web.Components.Layout;

namespace ReNoise.Web.Tests.Components;

public sealed class ErrorBoundaryTests : StudioTestContext
{
    /// <summary>A page whose data access fails as on a full disk.</summary>
    private sealed class FailingPage : ComponentBase
    {
        protected override void OnInitialized() => throw new SqliteException("SQLite Error 13: 'database or disk is full'.", 13);
    }

    [Fact]
    public void A_page_that_fails_shows_the_error_state_with_a_reload_button_inside_the_layout()
    {
        AsCircuit();
        var layout = Render<MainLayout>(p => p.Add(x => x.Body, builder =>
        {
            builder.OpenComponent<FailingPage>(0);
            builder.CloseComponent();
        }));

        var error = layout.Find("[data-testid=page-error]");
        Assert.Contains("This page stopped working.", error.TextContent);
        Assert.Contains("the disk holding the database is full", error.TextContent);
        layout.Find("[data-testid=page-error-reload]");
        layout.Find("[data-testid=brand]"); // the layout around it still works: navigation stays usable
    }
}
