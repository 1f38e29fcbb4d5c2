using System.Net;
using System.Net.Http.Headers;
using Vigil.Server.Api;
using Vigil.Server.Hosting;

namespace Vigil.Server.Tests;

public sealed class AccessTests
{
    [Fact]
    public async Task OpenMode_OnLoopbackWithoutKeys_AllowsEverything()
    {
        await using var server = await VigilTestServer.StartAsync();
        var status = await server.GetAsync<StatusView>("/v1/status");
        Assert.True(status.OpenMode);
    }

    [Fact]
    public async Task AfterAnAdminKeyExists_RequestsNeedAKeyWithTheRightScope()
    {
        await using var server = await VigilTestServer.StartAsync();
        var admin = await server.ReadAsync<CreatedKeyView>(await server.PostAsync("/v1/keys", new CreateKeyRequest("ops", ["admin"])));
        var reader = await CreateKeyAsync(server, admin.Key, "dash", "read");

        var anonymous = await server.Client.GetAsync("/v1/services", TestContext.Current.CancellationToken);
        await VigilTestServer.ProblemAsync(anonymous, 401);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/services") { Content = JsonContent("""{"name": "x", "inputs": [{"name": "a", "type": "number"}], "output": {"kind": "score"}}""") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", reader);
        var forbidden = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        await VigilTestServer.ProblemAsync(forbidden, 403);

        using var read = new HttpRequestMessage(HttpMethod.Get, "/v1/services");
        read.Headers.Authorization = new AuthenticationHeaderValue("Bearer", reader);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(read, TestContext.Current.CancellationToken)).StatusCode);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/services");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", reader[..^2] + "xx");
        await VigilTestServer.ProblemAsync(await server.Client.SendAsync(wrong, TestContext.Current.CancellationToken), 401);

        // Health stays open for probes.
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task RevokedKey_IsRefused()
    {
        await using var server = await VigilTestServer.StartAsync();
        var admin = await server.ReadAsync<CreatedKeyView>(await server.PostAsync("/v1/keys", new CreateKeyRequest("ops", ["admin"])));
        var other = await server.ReadAsync<CreatedKeyView>(await SendAsync(server, HttpMethod.Post, "/v1/keys", admin.Key, """{"name": "tmp", "scopes": ["read"]}"""));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(server, HttpMethod.Delete, $"/v1/keys/{other.Id}", admin.Key, null)).StatusCode);
        await VigilTestServer.ProblemAsync(await SendAsync(server, HttpMethod.Get, "/v1/services", other.Key, null), 401);

        var audit = await server.ReadAsync<AuditList>(await SendAsync(server, HttpMethod.Get, "/v1/audit?action=key.revoked", admin.Key, null));
        Assert.Equal("ops", Assert.Single(audit.Events).Actor);
        Assert.DoesNotContain(other.Key.Split('_')[2], (await server.ReadAsync<AuditList>(await SendAsync(server, HttpMethod.Get, "/v1/audit", admin.Key, null))).Events.Select(e => e.After ?? string.Empty).Aggregate(string.Concat));
    }

    [Fact]
    public async Task NonLoopbackAddress_WithoutAdminKey_RefusesToStart()
    {
        var directory = Directory.CreateTempSubdirectory("vigil-access-");
        try
        {
            var options = new VigilServerOptions { Store = "sqlite:" + Path.Combine(directory.FullName, "v.db"), Urls = ["http://0.0.0.0:0"] };
            var error = await Assert.ThrowsAsync<VigilStartupException>(() => VigilServer.StartAsync(options, TestContext.Current.CancellationToken));
            Assert.Contains("vigil keys create", error.Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://127.8.0.1:80", true)]
    [InlineData("http://0.0.0.0:5000", false)]
    [InlineData("http://*:5000", false)]
    [InlineData("http://10.1.2.3:5000", false)]
    public void IsLoopback_ClassifiesBindAddresses(string url, bool loopback) => Assert.Equal(loopback, VigilServer.IsLoopback(url));

    private static async Task<string> CreateKeyAsync(VigilTestServer server, string adminKey, string name, string scope)
    {
        var response = await SendAsync(server, HttpMethod.Post, "/v1/keys", adminKey, $$"""{"name": "{{name}}", "scopes": ["{{scope}}"]}""");
        return (await server.ReadAsync<CreatedKeyView>(response)).Key;
    }

    private static async Task<HttpResponseMessage> SendAsync(VigilTestServer server, HttpMethod method, string path, string key, string? json)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = JsonContent(json);
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
