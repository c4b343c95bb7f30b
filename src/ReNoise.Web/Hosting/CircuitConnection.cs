using Microsoft.AspNetCore.Components.Server.Circuits;

namespace ReNoise.Web.Hosting;

/// <summary>
/// Whether this circuit's browser is connected now (scoped: one per circuit). A job that finishes
/// while its page's browser is away must not navigate or call into the browser: that fails in the
/// background and ends the circuit ("Unhandled exception in circuit"). Pages check it first.
/// </summary>
public sealed class CircuitConnection : CircuitHandler
{
    private volatile bool _connected = true;

    public bool IsConnected => _connected;

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        _connected = false;
        return Task.CompletedTask;
    }

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        _connected = true;
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        _connected = false;
        return Task.CompletedTask;
    }
}
