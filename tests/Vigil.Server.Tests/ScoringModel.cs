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
/// A real model server speaking Vigil's plain JSON protocol with several constructed models, one per path:
/// POST /{name} with {"instances": [{price, country, …}]} answers {"predictions": [{"probability": p}]} with p from
/// <see cref="Models"/>. Lets evaluation tests build candidates whose quality per segment is known.
/// </summary>
public sealed class ScoringModel : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScoringModel(WebApplication app) => _app = app;

    /// <summary>The truth the test traffic's labels are drawn from: cheap items sell.</summary>
    public static double Truth(double price) => 1 / (1 + Math.Exp(-(3 - (price / 150))));

    /// <summary>The constructed models by name.</summary>
    public static IReadOnlyDictionary<string, Func<double, string, double>> Models { get; } = new Dictionary<string, Func<double, string, double>>
    {
        // A coarse champion: one threshold on price.
        ["coarse"] = (price, _) => price < 450 ? 0.7 : 0.3,
        // Better everywhere: the true rule.
        ["better"] = (price, _) => Truth(price),
        // A champion whose cut is in the wrong place (thresholded, "coarse" is as good as the truth).
        ["shifted"] = (price, _) => price < 300 ? 0.7 : 0.3,
        // The true rule except in France, where it knows nothing.
        ["blind-in-fr"] = (price, country) => country == "FR" ? 0.5 : Truth(price),
    };

    public Uri Url { get; private set; } = null!;

    public Uri For(string model) => new(Url, model);

    public static async Task<ScoringModel> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/{name}", () => Results.Ok(new { ready = true }));
        app.MapPost("/{name}", async (string name, HttpRequest request) =>
        {
            // score-NAME answers {"score": p}, class-NAME {"label": "yes"|"no"}: the same model for score and class services.
            var shape = name.StartsWith("score-", StringComparison.Ordinal) ? "score" : name.StartsWith("class-", StringComparison.Ordinal) ? "label" : "probability";
            var model = Models[shape == "probability" ? name : name[6..]];
            using var body = await JsonDocument.ParseAsync(request.Body);
            var predictions = new JsonArray();
            foreach (var instance in body.RootElement.GetProperty("instances").EnumerateArray())
            {
                var price = instance.GetProperty("price").GetDouble();
                var country = instance.TryGetProperty("country", out var c) ? c.GetString() ?? "" : "";
                var p = model(price, country);
                predictions.Add(shape == "label" ? new JsonObject { ["label"] = p >= 0.5 ? "yes" : "no" } : new JsonObject { [shape] = p });
            }

            return Results.Json(new JsonObject { ["predictions"] = predictions });
        });
        await app.StartAsync();
        var scoring = new ScoringModel(app)
        {
            Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/"),
        };
        return scoring;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
