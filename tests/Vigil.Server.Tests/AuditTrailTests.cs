using System.Net.Http.Headers;
using System.Text;
using Vigil.Audit;
using Vigil.Server.Api;

namespace Vigil.Server.Tests;

/// <summary>
/// The audit log over HTTP, as the issue lists it: each control-plane change (service created, version registered, alias
/// moved, key created) is one event with actor, time, action, target, before/after and reason, read back through
/// <c>GET /v1/audit</c> with its service and since filters.
/// </summary>
public sealed class AuditTrailTests
{
    [Fact]
    public async Task EveryChange_IsOneEventWithActorTimeActionTargetBeforeAfterAndReason_FilteredByServiceAndSince()
    {
        await using var remote = await RemoteModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync();
        var admin = await server.ReadAsync<CreatedKeyView>(await server.PostAsync("/v1/keys", new CreateKeyRequest("ops", ["admin"])));
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);

        await SendOkAsync(server, admin.Key, "/v1/services", """{"name": "shop", "inputs": [{"name": "price", "type": "number"}], "output": {"kind": "probability"}}""");
        await SendOkAsync(server, admin.Key, "/v1/services", """{"name": "other", "inputs": [{"name": "price", "type": "number"}], "output": {"kind": "probability"}}""");
        var backend = $$$"""{"kind": "http", "location": "{{{remote.Url}}}", "protocol": "json", "timeout_ms": 2000}""";
        await SendOkAsync(server, admin.Key, "/v1/services/shop/versions", $$$"""{"backend": {{{backend}}}, "alias": "champion"}""");
        await SendOkAsync(server, admin.Key, "/v1/services/shop/versions", $$$"""{"backend": {{{backend}}}, "alias": "challenger"}""");
        await SendOkAsync(server, admin.Key, "/v1/services/shop/promote", """{"reason": "canary passed"}""");
        await SendOkAsync(server, admin.Key, "/v1/services/shop/rollback", """{"reason": "error rate up"}""");
        await SendOkAsync(server, admin.Key, "/v1/keys", """{"name": "dash", "scopes": ["read"]}""");

        var shop = (await server.ReadAsync<AuditList>(await SendAsync(server, admin.Key, HttpMethod.Get, "/v1/audit?service=shop", null))).Events;
        var all = (await server.ReadAsync<AuditList>(await SendAsync(server, admin.Key, HttpMethod.Get, "/v1/audit", null))).Events;
        var future = DateTimeOffset.UtcNow.AddMinutes(1).ToString("O");
        var none = (await server.ReadAsync<AuditList>(await SendAsync(server, admin.Key, HttpMethod.Get, $"/v1/audit?since={Uri.EscapeDataString(future)}", null))).Events;

        // Newest first; only shop's events under ?service=shop; one event per change.
        Assert.Equal(
            [AuditActions.AliasRolledBack, AuditActions.AliasPromoted, AuditActions.VersionRegistered, AuditActions.VersionRegistered, AuditActions.ServiceCreated],
            shop.Where(e => e.Action is AuditActions.ServiceCreated or AuditActions.VersionRegistered or AuditActions.AliasPromoted or AuditActions.AliasRolledBack).Select(e => e.Action));
        Assert.All(shop, e => Assert.Equal("shop", e.Service));
        Assert.All(shop, e => Assert.Equal("ops", e.Actor));
        Assert.All(shop, e => Assert.InRange(e.At, started, DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.Equal(shop.Select(e => e.Id).OrderDescending(), shop.Select(e => e.Id));
        Assert.Empty(none);

        var promoted = shop.Single(e => e.Action == AuditActions.AliasPromoted);
        Assert.Equal("canary passed", promoted.Reason);
        Assert.Equal("shop/aliases", promoted.Target);
        Assert.Contains("\"champion\":1", Compact(promoted.Before));
        Assert.Contains("\"challenger\":2", Compact(promoted.Before));
        Assert.Contains("\"champion\":2", Compact(promoted.After));
        Assert.Contains("\"previous_champion\":1", Compact(promoted.After));
        var rolledBack = shop.Single(e => e.Action == AuditActions.AliasRolledBack);
        Assert.Equal("error rate up", rolledBack.Reason);
        Assert.Equal(Compact(promoted.After), Compact(rolledBack.Before));
        Assert.Contains("\"champion\":1", Compact(rolledBack.After));

        var created = shop.Single(e => e.Action == AuditActions.ServiceCreated);
        Assert.Null(created.Before);
        Assert.Contains("\"name\":\"shop\"", Compact(created.After));
        var registered = shop.Where(e => e.Action == AuditActions.VersionRegistered).ToList();
        Assert.All(registered, e => Assert.Contains(remote.Url.ToString().TrimEnd('/'), e.After, StringComparison.Ordinal));

        var keyEvents = all.Where(e => e.Action == AuditActions.KeyCreated).ToList();
        Assert.Equal(2, keyEvents.Count);
        Assert.Equal(["ops", "local"], keyEvents.Select(e => e.Actor));
        Assert.Contains("dash", keyEvents[0].After, StringComparison.Ordinal);
        Assert.DoesNotContain(admin.Key.Split('_')[2], string.Concat(all.Select(e => e.After)), StringComparison.Ordinal);
        Assert.Contains(all, e => e.Action == AuditActions.ServiceCreated && e.Service == "other");
    }

    private static string Compact(string? json) => (json ?? string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal);

    private static async Task SendOkAsync(VigilTestServer server, string key, string path, string json)
    {
        var response = await SendAsync(server, key, HttpMethod.Post, path, json);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
    }

    private static async Task<HttpResponseMessage> SendAsync(VigilTestServer server, string key, HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
