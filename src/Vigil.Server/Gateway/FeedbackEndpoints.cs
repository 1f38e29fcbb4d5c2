using System.Globalization;
using System.Text.Json;
using Vigil.Access;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Server.Access;
using Vigil.Server.Api;
using Vigil.Server.Observability;
using Vigil.Server.Recording;

namespace Vigil.Server.Gateway;

/// <summary>
/// <c>POST /v1/feedback</c>: outcomes joined to predictions by request id, idempotent per (request id, outcome name).
/// Accepts one item <c>{"request_id": …, "outcomes": {…}}</c>, a JSON array of items, or <c>{"items": [ … ]}</c>.
/// Feedback for a request id Vigil has not recorded is kept as an orphan and counted, never dropped.
/// </summary>
public static class FeedbackEndpoints
{
    public const int MaxItems = 10_000;
    public const int MaxOutcomesPerItem = 32;
    public const int MaxStringValueLength = 1_024;

    public static void MapFeedbackEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/feedback", RecordAsync)
            .RequireScope(ApiScopes.Ingest)
            .WithTags("Data plane")
            .WithSummary("Send outcomes (delayed truth) for predictions")
            .Accepts<FeedbackItem>("application/json")
            .Produces<FeedbackResponse>()
            .ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422);

        app.MapGet("/v1/predictions/{requestId}", async (string requestId, IVigilStore store, PredictionRecorder recorder, CancellationToken ct) =>
        {
            var prediction = await store.GetPredictionAsync(requestId, ct);
            if (prediction is null)
            {
                return Problems.NotFound($"no prediction with request id '{requestId}' is stored (it may still be queued, or older than the retention period)");
            }

            var outcomes = await store.GetOutcomesAsync(requestId, ct);
            return Results.Json(new PredictionView(prediction, outcomes), VigilJson.Options);
        }).RequireScope(ApiScopes.Read).WithTags("Data plane").WithSummary("A recorded prediction and its outcomes");
    }

    private static async Task<IResult> RecordAsync(
        HttpRequest request,
        IVigilStore store,
        PredictionRecorder recorder,
        VigilMetrics metrics,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (document, error) = await RequestBody.ReadDocumentAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var root = document!.RootElement;
            var items = root.ValueKind switch
            {
                JsonValueKind.Array => root,
                JsonValueKind.Object when root.TryGetProperty("items", out var list) => list,
                JsonValueKind.Object => (JsonElement?)null,
                _ => default(JsonElement),
            };

            var errors = new List<string>();
            var outcomes = new List<FeedbackOutcome>();
            var now = time.GetUtcNow();
            if (items is null)
            {
                ReadItem(root, null, now, outcomes, errors);
            }
            else if (items.Value.ValueKind != JsonValueKind.Array)
            {
                return Problems.BadRequest("send one item {\"request_id\": …, \"outcomes\": {…}}, an array of items, or {\"items\": [ … ]}");
            }
            else
            {
                var count = items.Value.GetArrayLength();
                if (count == 0)
                {
                    return Problems.BadRequest("the batch is empty");
                }

                if (count > MaxItems)
                {
                    return Problems.Problem(StatusCodes.Status413PayloadTooLarge, Problems.Title(413), $"a feedback batch holds at most {MaxItems} items, got {count}; split it");
                }

                var i = 0;
                foreach (var item in items.Value.EnumerateArray())
                {
                    ReadItem(item, $"items[{i++}]", now, outcomes, errors);
                }
            }

            if (errors.Count > 0)
            {
                return Problems.Validation($"the feedback is invalid ({errors.Count} problem{(errors.Count == 1 ? "" : "s")}); nothing was stored", errors);
            }

            var stored = await store.RecordOutcomesAsync(outcomes, cancellationToken);
            metrics.Outcomes(stored.Stored, stored.Duplicates);

            var requestIds = outcomes.Select(o => o.RequestId).ToHashSet(StringComparer.Ordinal);
            var unknown = await store.FindUnknownRequestIdsAsync(requestIds, cancellationToken);
            if (unknown.Count > 0)
            {
                // Predictions are written in batches: one answered a moment ago may still be queued. Give the recorder up to a
                // second, then look again. The outcome is stored either way and joins once its prediction is written.
                using var flush = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                flush.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    await recorder.FlushAsync(flush.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }

                unknown = await store.FindUnknownRequestIdsAsync(unknown, cancellationToken);
            }

            return Results.Json(new FeedbackResponse(stored.Stored, stored.Duplicates, unknown), VigilJson.Options);
        }
    }

    private static void ReadItem(JsonElement item, string? prefix, DateTimeOffset now, List<FeedbackOutcome> outcomes, List<string> errors)
    {
        var where = prefix is null ? string.Empty : prefix + ": ";
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{where}must be an object {{\"request_id\": …, \"outcomes\": {{…}}}}");
            return;
        }

        string? requestId = null;
        JsonElement? values = null;
        foreach (var property in item.EnumerateObject())
        {
            switch (property.Name)
            {
                case "request_id":
                    if (property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 and <= FeedbackOutcome.MaxRequestIdLength } id)
                    {
                        requestId = id;
                    }
                    else
                    {
                        errors.Add($"{where}'request_id' must be a string of 1–{FeedbackOutcome.MaxRequestIdLength} characters");
                    }

                    break;
                case "outcomes":
                    values = property.Value;
                    break;
                default:
                    errors.Add($"{where}unknown property '{property.Name}': an item has request_id and outcomes");
                    break;
            }
        }

        if (requestId is null)
        {
            if (!item.TryGetProperty("request_id", out _))
            {
                errors.Add($"{where}'request_id' is missing");
            }

            return;
        }

        if (values is not { ValueKind: JsonValueKind.Object } outcomeObject)
        {
            errors.Add($"{where}'outcomes' must be an object such as {{\"task_completed\": true, \"label\": 1}}");
            return;
        }

        var count = 0;
        foreach (var outcome in outcomeObject.EnumerateObject())
        {
            if (++count > MaxOutcomesPerItem)
            {
                errors.Add($"{where}at most {MaxOutcomesPerItem} outcomes per item");
                return;
            }

            if (outcome.Name.Length is 0 or > FeedbackOutcome.MaxNameLength)
            {
                errors.Add($"{where}outcome names are 1–{FeedbackOutcome.MaxNameLength} characters");
                continue;
            }

            double? numeric;
            switch (outcome.Value.ValueKind)
            {
                case JsonValueKind.True:
                    numeric = 1;
                    break;
                case JsonValueKind.False:
                    numeric = 0;
                    break;
                case JsonValueKind.Number:
                    if (!outcome.Value.TryGetDouble(out var n) || !double.IsFinite(n))
                    {
                        errors.Add($"{where}outcome '{outcome.Name}' is not a finite number");
                        continue;
                    }

                    numeric = n;
                    break;
                case JsonValueKind.String:
                    if (outcome.Value.GetString()!.Length > MaxStringValueLength)
                    {
                        errors.Add($"{where}outcome '{outcome.Name}' is longer than {MaxStringValueLength} characters");
                        continue;
                    }

                    numeric = double.TryParse(outcome.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed) ? parsed : null;
                    break;
                default:
                    errors.Add($"{where}outcome '{outcome.Name}' must be true/false, a number or a string");
                    continue;
            }

            outcomes.Add(new FeedbackOutcome(requestId, outcome.Name, outcome.Value.GetRawText(), numeric, now));
        }

        if (count == 0)
        {
            errors.Add($"{where}'outcomes' is empty");
        }
    }
}
