using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vigil.Registry;
using Vigil.Server.Api;
using Vigil.Server.Hosting;

namespace Vigil.Server.Tests;

/// <summary>A real Vigil server on a loopback port with a fresh SQLite store (or the store given), and a client for it.</summary>
public sealed class VigilTestServer : IAsyncDisposable
{
    private VigilTestServer(VigilApp app, string directory)
    {
        App = app;
        Directory = directory;
        Client = new HttpClient { BaseAddress = app.BaseAddress };
    }

    public VigilApp App { get; }

    public HttpClient Client { get; }

    public string Directory { get; }

    public static readonly IReadOnlyList<FeatureSpec> Inputs =
    [
        new("price", FeatureType.Number, Min: 0, Max: 1000),
        new("country", FeatureType.Category, Categories: ["DE", "FR", "US"]),
        new("tenure", FeatureType.Integer, Nullable: true),
        new("subscriber", FeatureType.Boolean, Nullable: true),
    ];

    public static async Task<VigilTestServer> StartAsync(string? store = null, Action<VigilServerOptionsBuilder>? configure = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "vigil-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var builder = new VigilServerOptionsBuilder
        {
            Store = store ?? "sqlite:" + Path.Combine(directory, "vigil.db"),
        };
        configure?.Invoke(builder);
        var app = await VigilServer.StartAsync(builder.Build(), TestContext.Current.CancellationToken);
        return new VigilTestServer(app, directory);
    }

    public async Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        await Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

    public async Task<HttpResponseMessage> PostAsync<T>(string path, T body) =>
        await Client.PostAsJsonAsync(path, body, VigilJson.Options, TestContext.Current.CancellationToken);

    public async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, VigilJson.Options)!;
    }

    public async Task<T> GetAsync<T>(string path) => await ReadAsync<T>(await Client.GetAsync(path, TestContext.Current.CancellationToken));

    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, int expectedStatus)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(expectedStatus == (int)response.StatusCode, $"expected {expectedStatus}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(expectedStatus, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()), "a problem must say what to do: " + text);
        return problem;
    }

    /// <summary>The problem's <c>errors</c>, one per line.</summary>
    public static string Errors(JsonObject problem) =>
        string.Join("\n", problem["errors"]!.AsArray().Select(e => e!.GetValue<string>()));

    /// <summary>Creates the test service <c>shop</c> and registers a remote http model as champion.</summary>
    public async Task<VersionView> CreateShopAsync(RemoteModel remote, string name = "shop")
    {
        var created = await PostAsync("/v1/services", new CreateServiceRequest(name, Inputs, new OutputSpec(OutputKind.Probability), "test"));
        await ReadAsync<ServiceView>(created);
        return await RegisterRemoteAsync(remote, name, "champion");
    }

    public async Task<VersionView> RegisterRemoteAsync(RemoteModel remote, string service, string? alias)
    {
        var response = await PostAsync($"/v1/services/{service}/versions", new RegisterVersionRequest(
            new BackendSpec(BackendKind.Http, remote.Url.ToString(), HttpProtocol.Json, TimeoutMs: 1000),
            new Dictionary<string, string> { ["git_sha"] = "abc123" },
            new Dictionary<string, double> { ["auc"] = 0.8 },
            alias));
        return await ReadAsync<VersionView>(response);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Mutable options for tests, turned into <see cref="VigilServerOptions"/>.</summary>
public sealed class VigilServerOptionsBuilder
{
    public string Store { get; set; } = "sqlite:vigil.db";

    public List<string> Urls { get; } = ["http://127.0.0.1:0"];

    public int RecorderCapacity { get; set; } = 100_000;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public TimeSpan ControllerTick { get; set; } = TimeSpan.FromSeconds(10);

    public List<string> Webhooks { get; } = [];

    public Vigil.Server.Recording.RecorderDurability RecorderDurability { get; set; }

    public TimeSpan RecorderCommitTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public int MaxUnknownFeatures { get; set; } = VigilServerOptions.DefaultMaxUnknownFeatures;

    public VigilServerOptions Build() => new()
    {
        RecorderDurability = RecorderDurability,
        RecorderCommitTimeout = RecorderCommitTimeout,
        MaxUnknownFeatures = MaxUnknownFeatures,
        Store = Store,
        Urls = Urls,
        RecorderCapacity = RecorderCapacity,
        TimeProvider = TimeProvider,
        ControllerTick = ControllerTick,
        Webhooks = Webhooks,
        LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
    };
}
