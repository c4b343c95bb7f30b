namespace ReNoise.Data.Tests;

public sealed class ShareLinkTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private GalleryStore _store = null!;
    private Guid _owner, _inversion;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateMigratedAsync();
        _store = _db.NewStore();
        _owner = await _store.GetOrCreateSessionAsync(null);
        _inversion = await _store.AddInversionAsync(_owner, Samples.Inversion("a cat on a sofa"));
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Tokens_are_long_url_safe_and_unique()
    {
        var tokens = new List<string>();
        for (int i = 0; i < 30; i++) tokens.Add((await _store.CreateShareLinkAsync(_owner, _inversion))!);

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
        var edit = (await _store.AddEditAsync(_owner, Samples.Edit(_inversion, "a dog on a sofa")))!.Value;
        var inversionToken = (await _store.CreateShareLinkAsync(_owner, _inversion))!;
        var editToken = (await _store.CreateShareLinkAsync(_owner, _inversion, edit))!;

        var view = await _store.ResolveShareLinkAsync(inversionToken);
        Assert.NotNull(view);
        Assert.Equal("a cat on a sofa", view.Prompt);
        Assert.Equal("""{"steps":4,"renoiseSteps":9}""", view.ParametersJson);
        Assert.Equal(Samples.Bytes(300, 1), view.InputPng);
        Assert.Equal(Samples.Bytes(300, 2), view.ReconstructionPng);
        Assert.Null(view.Edit);

        var editView = await _store.ResolveShareLinkAsync(editToken);
        Assert.NotNull(editView?.Edit);
        Assert.Equal("a dog on a sofa", editView.Edit.Prompt);
        Assert.Equal(Samples.Bytes(200, 9), editView.Edit.ImagePng);
        Assert.Equal("a cat on a sofa", editView.Prompt);
    }

    [Fact]
    public async Task Revoked_and_unknown_tokens_resolve_to_null()
    {
        var token = (await _store.CreateShareLinkAsync(_owner, _inversion))!;
        var other = (await _store.CreateShareLinkAsync(_owner, _inversion))!;
        Assert.NotNull(await _store.ResolveShareLinkAsync(token));

        _db.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(await _store.RevokeShareLinkAsync(_owner, token));
        Assert.Null(await _store.ResolveShareLinkAsync(token));
        Assert.NotNull(await _store.ResolveShareLinkAsync(other));
        // Revoking again is harmless and still reports the owner's link.
        Assert.True(await _store.RevokeShareLinkAsync(_owner, token));

        var links = await _store.ListShareLinksAsync(_owner, _inversion);
        var revoked = Assert.Single(links, l => l.Token == token);
        Assert.True(revoked.IsRevoked);
        Assert.Equal(_db.Clock.GetUtcNow().UtcDateTime, revoked.RevokedAt);
        Assert.False(Assert.Single(links, l => l.Token == other).IsRevoked);

        Assert.Null(await _store.ResolveShareLinkAsync(ShareTokens.Create()));
        Assert.Null(await _store.ResolveShareLinkAsync(""));
        Assert.Null(await _store.ResolveShareLinkAsync("not a token/../"));
        Assert.Null(await _store.ResolveShareLinkAsync(new string('A', 200)));
        Assert.False(await _store.RevokeShareLinkAsync(_owner, ShareTokens.Create()));
    }
}
