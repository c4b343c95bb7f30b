namespace ReNoise.Data.Tests;

public sealed class ShareLinkTests : StoreTests
{
    private Guid _inversion;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _inversion = await Store.AddInversionAsync(Owner, Samples.Inversion("a cat on a sofa"));
    }

    [Fact]
    public async Task Tokens_are_long_url_safe_and_unique()
    {
        var tokens = new List<string>();
        for (int i = 0; i < 30; i++) tokens.Add((await Store.CreateShareLinkAsync(Owner, _inversion))!);

        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());
        foreach (var token in tokens)
        {
            Assert.True(token.Length >= 22, $"token '{token}' is shorter than 22 characters (128 bits)");
            Assert.Matches("^[A-Za-z0-9_-]+$", token);
            Assert.Equal(token, Uri.EscapeDataString(token));
        }

        var many = Enumerable.Range(0, 5000).Select(_ => ShareTokens.Create()).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(5000, many.Count);
    }

    [Fact]
    public async Task Resolving_a_link_shows_images_prompts_and_parameters()
    {
        var edit = (await Store.AddEditAsync(Owner, Samples.Edit(_inversion, "a dog on a sofa")))!.Value;
        var inversionToken = (await Store.CreateShareLinkAsync(Owner, _inversion))!;
        var editToken = (await Store.CreateShareLinkAsync(Owner, _inversion, edit))!;

        var view = await Store.ResolveShareLinkAsync(inversionToken);
        Assert.NotNull(view);
        Assert.Equal("a cat on a sofa", view.Prompt);
        Assert.Equal("""{"steps":4,"renoiseSteps":9}""", view.ParametersJson);
        Assert.Equal(Samples.Bytes(300, 1), await Store.GetSharedImageAsync(inversionToken, SharedImage.Input));
        Assert.Equal(Samples.Bytes(300, 2), await Store.GetSharedImageAsync(inversionToken, SharedImage.Reconstruction));
        Assert.Null(await Store.GetSharedImageAsync(inversionToken, SharedImage.Edit));
        Assert.Null(view.Edit);

        var editView = await Store.ResolveShareLinkAsync(editToken);
        Assert.NotNull(editView?.Edit);
        Assert.Equal("a dog on a sofa", editView.Edit.Prompt);
        Assert.Equal(Samples.Bytes(200, 9), await Store.GetSharedImageAsync(editToken, SharedImage.Edit));
        Assert.Equal("a cat on a sofa", editView.Prompt);
    }

    [Fact]
    public async Task Revoked_and_unknown_tokens_resolve_to_null()
    {
        var token = (await Store.CreateShareLinkAsync(Owner, _inversion))!;
        var other = (await Store.CreateShareLinkAsync(Owner, _inversion))!;
        Assert.NotNull(await Store.ResolveShareLinkAsync(token));

        Db.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(await Store.RevokeShareLinkAsync(Owner, token));
        Assert.Null(await Store.ResolveShareLinkAsync(token));
        Assert.NotNull(await Store.ResolveShareLinkAsync(other));
        // Revoking again is harmless and still reports the owner's link.
        Assert.True(await Store.RevokeShareLinkAsync(Owner, token));

        var links = await Store.ListShareLinksAsync(Owner, _inversion);
        var revoked = Assert.Single(links, l => l.Token == token);
        Assert.True(revoked.IsRevoked);
        Assert.Equal(Db.Clock.GetUtcNow().UtcDateTime, revoked.RevokedAt);
        Assert.False(Assert.Single(links, l => l.Token == other).IsRevoked);

        Assert.Null(await Store.ResolveShareLinkAsync(ShareTokens.Create()));
        Assert.Null(await Store.ResolveShareLinkAsync(""));
        Assert.Null(await Store.ResolveShareLinkAsync("not a token/../"));
        Assert.Null(await Store.ResolveShareLinkAsync(new string('A', 200)));
        Assert.False(await Store.RevokeShareLinkAsync(Owner, ShareTokens.Create()));
    }
}
