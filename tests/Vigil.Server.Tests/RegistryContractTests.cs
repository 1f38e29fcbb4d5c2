using System.Net;
using System.Text;
using Vigil.Server.Api;

namespace Vigil.Server.Tests;

/// <summary>
/// A model version is immutable: registering the same artifact again gives a new number, and no method of the API
/// changes or deletes a version that exists.
/// </summary>
public sealed class RegistryContractTests
{
    [Fact]
    public async Task SameArtifactTwice_GetsANewNumber_AndAVersionCannotBeChangedOrDeleted()
    {
        await using var remote = await RemoteModel.StartAsync();
        await using var server = await VigilTestServer.StartAsync();
        var first = await server.CreateShopAsync(remote);
        var second = await server.RegisterRemoteAsync(remote, "shop", alias: null);
        var before = await server.Client.GetStringAsync("/v1/services/shop/versions/1", TestContext.Current.CancellationToken);
        var auditBefore = (await server.GetAsync<AuditList>("/v1/audit")).Events.Count;

        var refused = new List<HttpStatusCode>();
        foreach (var method in new[] { HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete })
        {
            using var request = new HttpRequestMessage(method, "/v1/services/shop/versions/1")
            {
                Content = new StringContent("""{"backend": {"kind": "onnx", "location": "/elsewhere.onnx"}}""", Encoding.UTF8, "application/json"),
            };
            using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
            refused.Add(response.StatusCode);
            await VigilTestServer.ProblemAsync(response, 405);
        }

        Assert.Equal((1, 2), (first.Number, second.Number));
        Assert.Equal(first.Backend, second.Backend);
        Assert.All(refused, status => Assert.Equal(HttpStatusCode.MethodNotAllowed, status));
        Assert.Equal(before, await server.Client.GetStringAsync("/v1/services/shop/versions/1", TestContext.Current.CancellationToken));
        Assert.Equal(auditBefore, (await server.GetAsync<AuditList>("/v1/audit")).Events.Count);
        Assert.Equal([1, 2], (await server.GetAsync<VersionList>("/v1/services/shop/versions")).Versions.Select(v => v.Number));
    }
}
