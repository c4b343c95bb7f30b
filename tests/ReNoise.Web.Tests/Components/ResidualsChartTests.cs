using Bunit;
using ReNoise.Formats;
using ReNoise.Web.Components.Shared;

namespace ReNoise.Web.Tests.Components;

public sealed class ResidualsChartTests : StudioTestContext
{
    [Fact]
    public void Each_step_is_a_line_drawn_on_the_server_without_any_browser_call()
    {
        var chart = Render<ResidualsChart>(p => p.Add(x => x.Residuals, new StepResiduals[]
        {
            new(249, [0.1f, 0.01f, 0.001f]),
            new(499, [0.2f, 0.05f]),
            new(749, []),
        }));

        var lines = chart.FindAll("[data-testid=residuals-line]");
        Assert.Equal(2, lines.Count); // the step without iterations draws nothing
        Assert.Equal(3, lines[0].GetAttribute("points")!.Split(' ').Length);
        Assert.Equal(["t = 249", "t = 499"], chart.FindAll(".legend-item").Select(l => l.TextContent.Trim()));
        // Decades from -3 to 0 on the y axis.
        Assert.Equal(["-3", "-2", "-1", "0"], chart.FindAll("text.tick").Take(4).Select(t => t.TextContent));
        // No script: a closed circuit can never make the chart throw JSDisconnectedException.
        Assert.Empty(JSInterop.Invocations);
    }

    [Fact]
    public void Without_renoise_iterations_it_says_so()
    {
        var chart = Render<ResidualsChart>(p => p.Add(x => x.Residuals, new StepResiduals[] { new(249, []) }));
        Assert.Contains("No renoise iterations were run", chart.Find("[data-testid=residuals-empty]").TextContent);
    }
}
