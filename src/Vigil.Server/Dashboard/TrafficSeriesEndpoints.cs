using Vigil.Access;
using Vigil.Persistence;
using Vigil.Predictions;
using Vigil.Server.Access;
using Vigil.Server.Api;

namespace Vigil.Server.Dashboard;

/// <summary>GET /v1/services/{service}/traffic: a service's requests, errors and latency per (version, arm) over time buckets.</summary>
/// <param name="Service">The service.</param>
/// <param name="From">The start of the first bucket.</param>
/// <param name="To">The end of the last bucket.</param>
/// <param name="BucketSeconds">The width of each bucket, in seconds.</param>
/// <param name="Buckets">The non-empty buckets, oldest first, then by version and arm.</param>
public sealed record TrafficSeriesView(string Service, DateTimeOffset From, DateTimeOffset To, double BucketSeconds, IReadOnlyList<TrafficBucket> Buckets);

/// <summary>The traffic time series: the API's endpoint and the dashboard's service page read it through <see cref="LoadAsync"/>.</summary>
public static class TrafficSeriesEndpoints
{
    /// <summary>Buckets when the caller names none.</summary>
    public const int DefaultBuckets = 48;

    public static void MapTrafficSeriesEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/services/{service}/traffic", GetAsync).RequireScope(ApiScopes.Read).WithTags("Status")
            .Produces<TrafficSeriesView>().ProducesProblem(400).ProducesProblem(404);

    private static async Task<IResult> GetAsync(string service, DateTimeOffset? since, DateTimeOffset? until, int? buckets, IVigilStore store, TimeProvider time, CancellationToken ct)
    {
        var series = await LoadAsync(store, time, service, since, until, buckets, ct);
        return series.IsSuccess ? Results.Json(series.Value!, VigilJson.Options)
            : series.Failure!.Kind == FailureKind.Invalid ? Problems.BadRequest(series.Failure.Message) : Problems.From(series.Failure);
    }

    /// <summary>
    /// The series of <paramref name="service"/> in [<paramref name="since"/>, <paramref name="until"/>): by default from the
    /// service's creation to now, in <see cref="DefaultBuckets"/> buckets.
    /// </summary>
    public static async Task<Result<TrafficSeriesView>> LoadAsync(
        IVigilStore store, TimeProvider time, string service, DateTimeOffset? since, DateTimeOffset? until, int? buckets, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        var definition = await store.GetServiceAsync(service, ct);
        if (definition is null)
        {
            return Failure.NotFound($"there is no service '{service}'; list them with 'vigil services list'");
        }

        var count = buckets ?? DefaultBuckets;
        if (count is < 1 or > TrafficSeriesQuery.MaxBuckets)
        {
            return Failure.Invalid($"buckets must be between 1 and {TrafficSeriesQuery.MaxBuckets} (default {DefaultBuckets})");
        }

        // The end is rounded up to the next second so that the newest prediction falls inside the window.
        var to = until ?? time.GetUtcNow().AddSeconds(1);
        var from = since ?? definition.CreatedAt;
        if (from >= to)
        {
            return Failure.Invalid($"since ({from:O}) must be before until ({to:O})");
        }

        var query = new TrafficSeriesQuery(service, from, to, count);
        var rows = await store.GetTrafficSeriesAsync(query, ct);
        return Result<TrafficSeriesView>.Ok(new TrafficSeriesView(service, from, to, query.BucketWidth.TotalSeconds, rows));
    }
}
