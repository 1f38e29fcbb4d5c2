using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Cli;
using Vigil.Server.Hosting;

namespace Vigil.Deploy.Tests;

/// <summary>
/// A real Vigil server (in process, SQLite, loopback) with keys required: a <c>read</c> key exists, created offline as
/// an operator would. The manifest tests ask it which paths it serves and which need a key.
/// </summary>
public sealed class VigilServerFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vigil-deploy-").FullName;
    private VigilApp? _app;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>A key with the <c>read</c> scope.</summary>
    public string ReadKey { get; private set; } = "";

    public VigilApp App => _app ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        var store = "sqlite:" + Path.Combine(_directory, "vigil.db");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(["keys", "create", "--name", "prometheus", "--scope", "read", "--store", store, "--json"], stdout, stderr, CancellationToken.None);
        Assert.True(exit == 0, stderr.ToString());
        ReadKey = JsonNode.Parse(stdout.ToString())!["key"]!.GetValue<string>();
        _app = await VigilServer.StartAsync(new VigilServerOptions { Urls = ["http://127.0.0.1:0"], Store = store }, CancellationToken.None);
        Client = new HttpClient { BaseAddress = _app.BaseAddress };
    }

    /// <summary>GET <paramref name="path"/>, with <paramref name="key"/> as bearer when given.</summary>
    public async Task<HttpResponseMessage> GetAsync(string path, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Whether Vigil maps a GET endpoint at exactly <paramref name="path"/> (not a page that happens to answer).</summary>
    public bool MapsGet(string path) =>
        App.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().Any(e =>
            "/" + e.RoutePattern.RawText?.TrimStart('/') == path
            && (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods.Contains("GET") ?? true));

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite's files may linger a moment on a busy machine; the temp folder is cleaned by the OS.
        }
    }
}
