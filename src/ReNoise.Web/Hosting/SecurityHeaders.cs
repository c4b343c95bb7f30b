namespace ReNoise.Web.Hosting;

/// <summary>
/// Response headers every answer carries: a Content-Security-Policy that fits Blazor Server and
/// MudBlazor (scripts only from this origin; inline styles, which MudBlazor's theme and components
/// write; images from this origin and data: URLs for previews; the circuit's WebSocket to this
/// origin), no MIME sniffing, no referrer (share links carry their token in the URL), no framing.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            return Task.CompletedTask;
        });
        return next(context);
    }
}
