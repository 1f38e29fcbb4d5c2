using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Vigil.Cli.Tests;

/// <summary>A remote model speaking Vigil's plain JSON protocol: answers every instance with probability 0.5.</summary>
public sealed class FakeJsonModel : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeJsonModel(WebApplication app) => _app = app;

    /// <summary>Its base URL, for <c>--location</c>.</summary>
    public string Url => _app.Urls.First();

    public static async Task<FakeJsonModel> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/", async (HttpRequest request) =>
        {
            var body = await JsonNode.ParseAsync(request.Body);
            var count = body?["instances"] is JsonArray instances ? instances.Count : 1;
            var predictions = new JsonArray();
            for (var i = 0; i < count; i++)
            {
                predictions.Add(new JsonObject { ["probability"] = 0.5 });
            }

            return Results.Json(new JsonObject { ["predictions"] = predictions });
        });
        await app.StartAsync();
        return new FakeJsonModel(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
