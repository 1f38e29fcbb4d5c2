using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Vigil.Serving.Tests;

/// <summary>
/// A real Kestrel server on a free loopback port with tiny remote models:
/// <list type="bullet">
/// <item><c>/v2/models/tiny</c>: Open Inference Protocol v2; metadata declares inputs <c>age</c> (FP32) and <c>active</c>
/// (BOOL); answers <c>probability</c> (FP64 [N,1]) and <c>label</c> (BOOL [N]).</item>
/// <item><c>/v2/models/slow</c>: ready at once, but every inference sleeps 2 s.</item>
/// <item><c>/json</c>: plain JSON, answers objects; <c>/json-bare</c> answers bare numbers; <c>/json-slow</c> sleeps 2 s.</item>
/// </list>
/// The model: p = 1 / (1 + e^−(0.05·(age − 40) + active)), age null → 40.
/// </summary>
public sealed class TestModelServer : IAsyncLifetime
{
    private WebApplication? _app;

    /// <summary>The base URL, e.g. http://127.0.0.1:41234.</summary>
    public string Url { get; private set; } = string.Empty;

    /// <summary>The bodies of the requests received, by path.</summary>
    public ConcurrentDictionary<string, JsonNode?> LastBodies { get; } = new();

    public static double Model(double? age, bool active) => 1 / (1 + Math.Exp(-((0.05 * ((age ?? 40) - 40)) + (active ? 1 : 0))));

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        MapV2(_app);
        MapJson(_app);
        await _app.StartAsync();
        Url = _app.Urls.Single();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }

    private void MapV2(IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/models/{model}/ready", (string model) => model is "tiny" or "slow" ? Results.Ok() : Results.NotFound());
        app.MapGet("/v2/models/tiny", () => Results.Json(new JsonObject
        {
            ["name"] = "tiny",
            ["inputs"] = new JsonArray(
                new JsonObject { ["name"] = "age", ["datatype"] = "FP32", ["shape"] = new JsonArray(-1, 1) },
                new JsonObject { ["name"] = "active", ["datatype"] = "BOOL", ["shape"] = new JsonArray(-1, 1) }),
        }));
        app.MapPost("/v2/models/tiny/infer", async (HttpRequest request) =>
        {
            var body = await Read(request);
            var inputs = body!["inputs"]!.AsArray().ToDictionary(i => i!["name"]!.GetValue<string>(), i => i!["data"]!.AsArray());
            var ages = inputs["age"];
            var actives = inputs["active"];
            var n = ages.Count;
            var probability = new JsonArray();
            var label = new JsonArray();
            for (var i = 0; i < n; i++)
            {
                var p = Model(ages[i]?.GetValue<double>(), actives[i]!.GetValue<bool>());
                probability.Add(p);
                label.Add(p >= 0.5);
            }

            return Results.Json(new JsonObject
            {
                ["model_name"] = "tiny",
                ["outputs"] = new JsonArray(
                    new JsonObject { ["name"] = "probability", ["shape"] = new JsonArray(n, 1), ["datatype"] = "FP64", ["data"] = probability },
                    new JsonObject { ["name"] = "label", ["shape"] = new JsonArray(n), ["datatype"] = "BOOL", ["data"] = label }),
            });
        });
        app.MapPost("/v2/models/slow/infer", async (HttpContext context) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            return Results.Json(new JsonObject { ["outputs"] = new JsonArray() });
        });
    }

    private void MapJson(IEndpointRouteBuilder app)
    {
        app.MapPost("/json", async (HttpRequest request) =>
        {
            var body = await Read(request);
            var predictions = new JsonArray();
            foreach (var instance in body!["instances"]!.AsArray())
            {
                var p = Model(instance!["age"]?.GetValue<double>(), instance["active"]!.GetValue<bool>());
                predictions.Add(new JsonObject { ["probability"] = p, ["label"] = p >= 0.5, ["score"] = Math.Log(p / (1 - p)) });
            }

            return Results.Json(new JsonObject { ["predictions"] = predictions });
        });
        app.MapPost("/json-bare", async (HttpRequest request) =>
        {
            var body = await Read(request);
            var predictions = new JsonArray();
            foreach (var instance in body!["instances"]!.AsArray())
            {
                predictions.Add(Model(instance!["age"]?.GetValue<double>(), instance["active"]!.GetValue<bool>()));
            }

            return Results.Json(new JsonObject { ["predictions"] = predictions });
        });
        app.MapPost("/json-slow", async (HttpContext context) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            return Results.Json(new JsonObject { ["predictions"] = new JsonArray() });
        });
        app.MapPost("/json-broken", () => Results.Problem("the model crashed", statusCode: 500));
    }

    private async Task<JsonNode?> Read(HttpRequest request)
    {
        var body = await JsonNode.ParseAsync(request.Body);
        LastBodies[request.Path] = body?.DeepClone();
        return body;
    }
}
