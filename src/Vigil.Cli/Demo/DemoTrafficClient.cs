using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Vigil.Server.Api;

namespace Vigil.Cli.Demo;

/// <summary>
/// The data-plane calls the simulated users make: <c>POST /v1/services/{service}/predict</c> and <c>POST /v1/feedback</c>,
/// over real HTTP with Vigil's JSON convention. Failures are return values (the demo counts them), not exceptions.
/// </summary>
public sealed class DemoTrafficClient : IDisposable
{
    // Vigil's convention, but tolerant of members a newer server adds.
    private static JsonSerializerOptions ReadOptions { get; } = new(VigilJson.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };

    private readonly HttpClient _http;

    /// <summary>Creates a client of the Vigil server at <paramref name="server"/>.</summary>
    /// <param name="server">The server's base address.</param>
    /// <param name="timeout">How long one call may take. Default 10 s.</param>
    public DemoTrafficClient(Uri server, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) }, disposeHandler: true)
        {
            BaseAddress = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/"),
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
        };
    }

    /// <summary>Asks <paramref name="service"/> for a prediction of <paramref name="example"/> on behalf of its user.</summary>
    public async Task<PredictCall> PredictAsync(string service, RecommendationExample example, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(example);
        var body = new JsonObject
        {
            ["key"] = example.User.Key,
            ["attributes"] = example.ToAttributesJson(),
            ["inputs"] = example.ToInputsJson(),
        };

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var content = JsonContent.Create(body, options: VigilJson.Options);
            using var response = await _http.PostAsync($"v1/services/{Uri.EscapeDataString(service)}/predict", content, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var latencyMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
            {
                return PredictCall.Failed($"predict answered {(int)response.StatusCode}: {Describe(response, text)}");
            }

            var answer = JsonSerializer.Deserialize<PredictResponse>(text, ReadOptions);
            if (answer?.Outputs["probability"] is not JsonValue value || !value.TryGetValue<double>(out var probability))
            {
                return PredictCall.Failed($"predict answered without outputs.probability: {Truncate(text)}");
            }

            return new PredictCall(true, answer.RequestId, answer.Version, answer.Arm, probability, latencyMs, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return PredictCall.Failed($"predict failed: {ex.Message}");
        }
    }

    /// <summary>Sends a batch of feedback items (<c>{"items": [...]}</c>).</summary>
    public async Task<FeedbackCall> SendFeedbackAsync(IReadOnlyList<PendingFeedback> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var array = new JsonArray();
        foreach (var item in items)
        {
            array.Add(new JsonObject
            {
                ["request_id"] = item.RequestId,
                ["outcomes"] = new JsonObject
                {
                    ["task_completed"] = item.Engaged,
                    ["accepted"] = item.Engaged,
                    ["label"] = item.Engaged ? 1 : 0,
                },
            });
        }

        try
        {
            using var content = JsonContent.Create(new JsonObject { ["items"] = array }, options: VigilJson.Options);
            using var response = await _http.PostAsync("v1/feedback", content, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return new FeedbackCall(null, $"feedback answered {(int)response.StatusCode}: {Describe(response, text)}");
            }

            var answer = JsonSerializer.Deserialize<FeedbackResponse>(text, ReadOptions);
            return answer is null ? new FeedbackCall(null, "feedback answered with an empty body") : new FeedbackCall(answer, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new FeedbackCall(null, $"feedback failed: {ex.Message}");
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>The problem details' detail (or title) when the answer has them, else the start of the body.</summary>
    private static string Describe(HttpResponseMessage response, string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in (string[])["detail", "title"])
                {
                    if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        return value.GetString()!;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to the raw text.
        }

        return text.Length > 0 ? Truncate(text) : response.ReasonPhrase ?? "no body";
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "…");
}
