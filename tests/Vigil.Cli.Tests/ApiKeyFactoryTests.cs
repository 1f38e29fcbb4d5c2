using System.Text.RegularExpressions;
using Vigil.Access;

namespace Vigil.Cli.Tests;

public sealed class ApiKeyFactoryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Create_ThenParseAndVerify_RoundTrips()
    {
        var (key, presented) = ApiKeyFactory.Create("ci", ApiScopes.Read | ApiScopes.Predict, Now);

        Assert.Matches(new Regex("^vgl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$"), presented);
        Assert.True(ApiKeyFactory.TryParse(presented, out var id, out var secret));
        Assert.Equal(key.Id, id);
        Assert.True(ApiKeyFactory.Verify(key, secret));
        Assert.Equal("ci", key.Name);
        Assert.Equal(ApiScopes.Read | ApiScopes.Predict, key.Scopes);
        Assert.Equal(Now, key.CreatedAt);
        Assert.Null(key.RevokedAt);
    }

    [Fact]
    public void Create_StoresOnlyTheLowercaseHexSha256OfTheSecret()
    {
        var (key, presented) = ApiKeyFactory.Create("ci", ApiScopes.Admin, Now);
        ApiKeyFactory.TryParse(presented, out _, out var secret);

        Assert.Matches(new Regex("^[0-9a-f]{64}$"), key.SecretHash);
        Assert.Equal(ApiKeyFactory.Hash(secret), key.SecretHash);
        Assert.DoesNotContain(secret, key.SecretHash, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_TwoKeys_Differ()
    {
        var (a, aText) = ApiKeyFactory.Create("a", ApiScopes.Read, Now);
        var (b, bText) = ApiKeyFactory.Create("a", ApiScopes.Read, Now);

        Assert.NotEqual(a.Id, b.Id);
        Assert.NotEqual(aText, bText);
    }

    [Fact]
    public void Verify_WrongSecret_Fails()
    {
        var (key, _) = ApiKeyFactory.Create("ci", ApiScopes.Read, Now);
        var (_, other) = ApiKeyFactory.Create("ci", ApiScopes.Read, Now);
        ApiKeyFactory.TryParse(other, out _, out var otherSecret);

        Assert.False(ApiKeyFactory.Verify(key, otherSecret));
        Assert.False(ApiKeyFactory.Verify(key, string.Empty));
    }

    [Fact]
    public void Verify_CorruptStoredHash_FailsWithoutThrowing()
    {
        var (key, presented) = ApiKeyFactory.Create("ci", ApiScopes.Read, Now);
        ApiKeyFactory.TryParse(presented, out _, out var secret);

        Assert.False(ApiKeyFactory.Verify(key with { SecretHash = "not-hex" }, secret));
        Assert.False(ApiKeyFactory.Verify(key with { SecretHash = new string('z', 64) }, secret));
    }

    [Theory]
    [InlineData("")]
    [InlineData("vgl_")]
    [InlineData("Bearer vgl_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("xyz_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("vgl_0123456789AB_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("vgl_0123456789xy_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("vgl_0123456789a_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("vgl_0123456789ab-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("vgl_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("vgl_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("vgl_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("vgl_0123456789ab_AAAAAAAAAAAAAAAAAAAAA+AAAAAAAAAAAAAAAAAAAAA")]
    public void TryParse_Malformed_IsRejected(string presented)
    {
        Assert.False(ApiKeyFactory.TryParse(presented, out var id, out var secret));
        Assert.Empty(id);
        Assert.Empty(secret);
    }

    [Fact]
    public void TryParse_Null_IsRejected()
    {
        Assert.False(ApiKeyFactory.TryParse(null, out _, out _));
    }

    [Fact]
    public void TryParse_SecretWithUnderscoresAndDashes_IsAccepted()
    {
        const string presented = "vgl_0123456789ab_ab_cd-ef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

        Assert.True(ApiKeyFactory.TryParse(presented, out var id, out var secret));
        Assert.Equal("0123456789ab", id);
        Assert.Equal("ab_cd-ef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", secret);
    }
}
