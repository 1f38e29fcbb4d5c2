using System.Text.Json;
using Vigil.Access;
using Vigil.Storage;

namespace Vigil.Cli.Tests;

/// <summary>API keys: offline bootstrap into a store, and the key lifecycle against a server of its own (a key ends open mode).</summary>
public sealed class KeysTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task KeysCreate_WithStore_WritesAWorkingKeyWithoutAServer()
    {
        var directory = Directory.CreateTempSubdirectory("vigil-keys-");
        var store = "sqlite:" + Path.Combine(directory.FullName, "vigil.db");
        try
        {
            var result = await Cli.RunAsync("keys", "create", "--name", "admin", "--scope", "admin", "--store", store, "--json");

            Assert.True(result.ExitCode == 0, result.ToString());
            using var document = JsonDocument.Parse(result.Out);
            var id = document.RootElement.GetProperty("id").GetString()!;
            var presented = document.RootElement.GetProperty("key").GetString()!;
            Assert.Equal(["admin"], document.RootElement.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));

            await using var opened = StoreFactory.Open(store);
            var stored = await opened.GetKeyAsync(id, TestContext.Current.CancellationToken);
            Assert.NotNull(stored);
            Assert.True(ApiKeyFactory.TryParse(presented, out var parsedId, out var secret));
            Assert.Equal(id, parsedId);
            Assert.True(ApiKeyFactory.Verify(stored, secret));
            Assert.Equal(ApiScopes.Admin, stored.Scopes);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task KeysCreate_WithStore_PrintsTheKeyOnceWithAWarning()
    {
        var directory = Directory.CreateTempSubdirectory("vigil-keys-");
        try
        {
            var result = await Cli.RunAsync("keys", "create", "--name", "ci", "--scope", "read", "--scope", "predict", "--store", "sqlite:" + Path.Combine(directory.FullName, "v.db"));

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Matches("vgl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", result.Out);
            Assert.Contains("cannot show it again", result.Out, StringComparison.Ordinal);
            Assert.Contains("scopes predict, read", result.Out, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task KeysLifecycle_CreateListUseRevoke()
    {
        var created = await Cli.RunAsync("--server", server.Server, "keys", "create", "--name", "ops", "--scope", "admin", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        using var document = JsonDocument.Parse(created.Out);
        var id = document.RootElement.GetProperty("id").GetString()!;
        var key = document.RootElement.GetProperty("key").GetString()!;

        // With an active key the server is no longer open: no key is refused, the key is accepted.
        var withoutKey = await Cli.RunAsync("--server", server.Server, "keys", "list");
        var list = await Cli.RunAsync("--server", server.Server, "--api-key", key, "keys", "list");
        var revoked = await Cli.RunAsync("--server", server.Server, "--api-key", key, "keys", "revoke", id);

        Assert.Equal(1, withoutKey.ExitCode);
        Assert.Contains("--api-key", withoutKey.Err, StringComparison.Ordinal);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(id, list.Out, StringComparison.Ordinal);
        Assert.Contains("active", list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(key, list.Out, StringComparison.Ordinal);
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        Assert.Contains("Revoked key ops", revoked.Out, StringComparison.Ordinal);
    }
}
