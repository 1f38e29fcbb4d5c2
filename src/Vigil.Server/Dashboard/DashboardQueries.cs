using System.Text.Json;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Releases;
using Vigil.Routing.Flags;
using Vigil.Server.Releases;

namespace Vigil.Server.Dashboard;

/// <summary>A service as the overview shows it: its aliases, its active release (if any) and whether its service flag is on.</summary>
public sealed record ServiceCard(ServiceDefinition Service, AliasSet Aliases, ReleaseView? ActiveRelease, bool? Enabled);

/// <summary>The numbers behind a release event (<see cref="ReleaseEvent.Details"/>), as the release service writes them.</summary>
public sealed record ReleaseEventDetails(
    IReadOnlyList<TriggerEvaluation>? Triggers,
    IReadOnlyList<PromotionEvaluation>? Promotion,
    DateTimeOffset? FirstBreachAt,
    int FromStep,
    int ToStep);

/// <summary>
/// What the pages read, through the same store queries and view builders the <c>/v1</c> endpoints use
/// (<see cref="ReleaseEndpoints.ViewAsync"/>, <see cref="TrafficSeriesEndpoints.LoadAsync"/>): nothing here is computed
/// only for the dashboard. Pages run on their own requests, never on the prediction path.
/// </summary>
public sealed class DashboardQueries(IVigilStore store, ReleaseService releases, TimeProvider time)
{
    public IVigilStore Store => store;

    public DateTimeOffset Now => time.GetUtcNow();

    public async Task<IReadOnlyList<ServiceCard>> OverviewAsync(CancellationToken ct)
    {
        var active = new Dictionary<string, StoredRelease>(StringComparer.Ordinal);
        foreach (var release in await store.ListReleasesAsync(null, activeOnly: true, ct))
        {
            active.TryAdd(release.Service, release);
        }

        var cards = new List<ServiceCard>();
        foreach (var service in await store.ListServicesAsync(ct))
        {
            cards.Add(new ServiceCard(
                service,
                await store.GetAliasesAsync(service.Name, ct),
                active.TryGetValue(service.Name, out var release) ? await ReleaseEndpoints.ViewAsync(store, releases, release, ct) : null,
                await ServiceEnabledAsync(service.Name, ct)));
        }

        return cards;
    }

    /// <summary>Whether the service flag is on; null when the service has none.</summary>
    public async Task<bool?> ServiceEnabledAsync(string service, CancellationToken ct)
    {
        var flag = await store.GetFlagAsync(ServiceFlag.KeyFor(service), ct);
        return flag is null ? null : VigilJson.Deserialize<FlagDefinition>(flag.Definition)?.Enabled;
    }

    /// <summary>The service's releases, newest first, as GET /v1/releases?service= shows them.</summary>
    public async Task<IReadOnlyList<ReleaseView>> ReleasesAsync(string service, bool activeOnly, CancellationToken ct)
    {
        var list = new List<ReleaseView>();
        foreach (var release in await store.ListReleasesAsync(service, activeOnly, ct))
        {
            list.Add(await ReleaseEndpoints.ViewAsync(store, releases, release, ct));
        }

        return list;
    }

    public Task<Result<TrafficSeriesView>> TrafficAsync(string service, CancellationToken ct) =>
        TrafficSeriesEndpoints.LoadAsync(store, time, service, null, null, null, ct);

    public Task<IReadOnlyList<AuditEvent>> AuditAsync(AuditQuery query, CancellationToken ct) => store.QueryAuditAsync(query, ct);

    /// <summary>The trigger evaluations behind a release: the controller's latest in this process, else those stored with its last decisive event.</summary>
    public static IReadOnlyList<TriggerEvaluation> Triggers(ReleaseView release)
    {
        ArgumentNullException.ThrowIfNull(release);
        if (release.Triggers is { Count: > 0 } latest)
        {
            return latest;
        }

        for (var i = release.Events.Count - 1; i >= 0; i--)
        {
            if (Details(release.Events[i])?.Triggers is { Count: > 0 } stored)
            {
                return stored;
            }
        }

        return [];
    }

    public static ReleaseEventDetails? Details(ReleaseEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (string.IsNullOrEmpty(e.Details))
        {
            return null;
        }

        try
        {
            return VigilJson.Deserialize<ReleaseEventDetails>(e.Details);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
