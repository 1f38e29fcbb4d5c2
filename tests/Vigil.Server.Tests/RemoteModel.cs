using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Vigil.Server.Tests;

/// <summary>
/// A real model server on a loopback port, speaking Vigil's plain JSON protocol: POST / with {"instances": [{…}]} answers
/// {"predictions": [{"probability": p}]} with p = clamp(price / 100). Also answers GET / for the load check.
/// </summary>
public sealed class RemoteModel : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    private RemoteModel(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Milliseconds each prediction sleeps (to test timeouts).</summary>
    public int DelayMs { get; set; }

    /// <summary>Bodies POSTed to /hook (the model server doubles as a webhook receiver).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Hooks { get; } = new();

    /// <summary>When set, every prediction answers this probability instead of price / 100.</summary>
    public double? Score { get; set; }

    /// <summary>When set, a batch with an instance from this country answers 500 (a regression in one market).</summary>
    public string? FailingCountry { get; set; }

    /// <summary>When true, predictions answer 500.</summary>
    public bool Failing { get; set; }

    public static async Task<RemoteModel> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var model = new RemoteModel(app);
        app.MapGet("/", () => Results.Ok(new { ready = true }));
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            model.Hooks.Enqueue(await reader.ReadToEndAsync());
            return Results.Ok();
        });
        app.MapPost("/", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref model._calls);
            if (model.DelayMs > 0)
            {
                await Task.Delay(model.DelayMs);
            }

            if (model.Failing)
            {
                return Results.StatusCode(500);
            }

            using var body = await JsonDocument.ParseAsync(request.Body);
            if (model.FailingCountry is { } failing && body.RootElement.GetProperty("instances").EnumerateArray()
                    .Any(i => i.TryGetProperty("country", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() == failing))
            {
                return Results.StatusCode(500);
            }

            var predictions = new JsonArray();
            foreach (var instance in body.RootElement.GetProperty("instances").EnumerateArray())
            {
                var price = instance.TryGetProperty("price", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : 0;
                predictions.Add(new JsonObject { ["probability"] = model.Score ?? Math.Clamp(price / 100, 0, 1) });
            }

            return Results.Json(new JsonObject { ["predictions"] = predictions });
        });
        await app.StartAsync();
        model.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return model;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
