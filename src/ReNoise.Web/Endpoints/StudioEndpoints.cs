using ReNoise.Data;
using ReNoise.Data.Entities;
using ReNoise.Engine.IO;
using ReNoise.Web.Sessions;

namespace ReNoise.Web.Endpoints;

/// <summary>
/// Files behind the pages: an owner's images and tensors (by the session cookie; another owner's
/// id, or no cookie, is a plain 404) and the public images of a share link (404 once revoked). Each
/// reads the one image or tensor it serves, nothing else of the row. (/healthz: <see cref="StudioHealth"/>.)
/// </summary>
public static class StudioEndpoints
{
    public static IEndpointRouteBuilder MapStudioEndpoints(this IEndpointRouteBuilder app)
    {
        var owned = app.MapGroup("/api").AddEndpointFilter(async (context, next) =>
        {
            // Owner data is never cached by shared caches and never guessed from anything but the cookie.
            context.HttpContext.Response.Headers.CacheControl = "private, no-cache";
            return await next(context);
        });

        owned.MapGet("/inversions/{id:guid}/{file}", async (Guid id, string file, HttpContext http, GalleryStore store, CancellationToken ct) =>
        {
            if (SessionCookie.Read(http.Request) is not Guid owner) return Results.NotFound();
            var image = file switch
            {
                "input.png" => InversionImage.Input,
                "reconstruction.png" => InversionImage.Reconstruction,
                "thumbnail.png" => InversionImage.Thumbnail,
                _ => (InversionImage?)null,
            };
            if (image is InversionImage which)
            {
                var png = await store.GetInversionImageAsync(owner, id, which, ct);
                return png is null ? Results.NotFound() : Results.File(png, "image/png", Download(file, id));
            }
            if (file is not ("latent.npy" or "z0.npy" or "noise.npy")) return Results.NotFound();
            var row = await store.GetInversionAsync(owner, id, ct);
            if (row is null) return Results.NotFound();
            var (kind, shape) = file switch
            {
                "latent.npy" => (InversionBlobKind.Latent, row.LatentShape),
                "z0.npy" => (InversionBlobKind.CleanLatent, row.LatentShape),
                _ => (InversionBlobKind.NoiseMaps, row.NoiseShape),
            };
            // Only the one tensor asked for is read.
            var blob = await store.GetInversionBlobAsync(owner, id, kind, ct);
            if (blob is not { Length: > 0 } || shape.Length == 0) return Results.NotFound(); // DDIM inversions have no noise maps
            byte[] header = NpyArray.Float32Header(FloatBlob.ParseShape(shape));
            return Results.File([.. header, .. blob], "application/octet-stream", Download(file, id));
        });

        owned.MapGet("/edits/{id:guid}/image.png", async (Guid id, HttpContext http, GalleryStore store, CancellationToken ct) =>
        {
            if (SessionCookie.Read(http.Request) is not Guid owner) return Results.NotFound();
            var png = await store.GetEditImageAsync(owner, id, ct);
            return png is null ? Results.NotFound() : Results.File(png, "image/png");
        });

        app.MapGet("/s/{token}/{file}", async (string token, string file, HttpContext http, GalleryStore store, CancellationToken ct) =>
        {
            http.Response.Headers.CacheControl = "no-store"; // a revoked link must stop working at once
            SharedImage? image = file switch
            {
                "input.png" => SharedImage.Input,
                "reconstruction.png" => SharedImage.Reconstruction,
                "edit.png" => SharedImage.Edit,
                _ => null,
            };
            var png = image is SharedImage which ? await store.GetSharedImageAsync(token, which, ct) : null;
            return png is null ? Results.NotFound() : Results.File(png, "image/png");
        });
        return app;
    }

    /// <summary>Tensors download as attachments; images are shown inline (the pages' download links name them).</summary>
    private static string? Download(string file, Guid id) =>
        file.EndsWith(".npy", StringComparison.Ordinal) ? $"{Path.GetFileNameWithoutExtension(file)}-{id:N}.npy" : null;
}
