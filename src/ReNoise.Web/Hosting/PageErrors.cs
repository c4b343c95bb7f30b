using ReNoise.Data;

namespace ReNoise.Web.Hosting;

/// <summary>What a page that failed tells its user (the details go to the log, not the page).</summary>
public static class PageErrors
{
    public static string Describe(Exception error) => StorageFailure.Describe(error) is { } storage
        ? $"The server's storage failed ({storage}); your gallery is as it was. Try again in a moment."
        : "Something went wrong on the server. Your gallery is as it was.";
}
