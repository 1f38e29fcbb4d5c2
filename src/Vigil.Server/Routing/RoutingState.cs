using System.Collections.Frozen;
using System.Text.Json;
using Vigil.Persistence;
using Vigil.Releases;
using Vigil.Routing;
using Vigil.Routing.Flags;

namespace Vigil.Server.Routing;

/// <summary>
/// Holds the current <see cref="RoutingSnapshot"/>. The request path reads <see cref="Current"/> (a volatile read, no lock);
/// <see cref="RebuildAsync"/> builds a whole new snapshot from the store and swaps it in one assignment.
/// </summary>
public sealed partial class RoutingState(IVigilStore store, ILogger<RoutingState> logger)
{
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private RoutingSnapshot _current = RoutingSnapshot.Empty;

    /// <summary>The snapshot in force.</summary>
    public RoutingSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Raised after a new snapshot is swapped in.</summary>
    public event EventHandler<RoutingSnapshot>? Swapped;

    /// <summary>Builds a snapshot from the store and swaps it in. Concurrent calls are serialized; the last one wins with the freshest data.</summary>
    public async Task<RoutingSnapshot> RebuildAsync(CancellationToken cancellationToken)
    {
        await _rebuild.WaitAsync(cancellationToken);
        try
        {
            var services = await store.ListServicesAsync(cancellationToken);
            var flags = BuildFlags(await store.ListFlagsAsync(null, cancellationToken), await store.ListSegmentsAsync(cancellationToken));
            var releases = (await store.ListReleasesAsync(null, activeOnly: true, cancellationToken)).ToDictionary(r => r.Service, StringComparer.Ordinal);
            var routes = new Dictionary<string, ServiceRoute>(services.Count, StringComparer.Ordinal);
            foreach (var service in services)
            {
                var aliases = await store.GetAliasesAsync(service.Name, cancellationToken);
                var champion = aliases.Champion is { } c ? await store.GetVersionAsync(service.Name, c, cancellationToken) : null;
                var challenger = aliases.Challenger is { } h ? await store.GetVersionAsync(service.Name, h, cancellationToken) : null;
                var previous = aliases.PreviousChampion is { } p ? await store.GetVersionAsync(service.Name, p, cancellationToken) : null;
                routes[service.Name] = new ServiceRoute(service, aliases, champion, challenger, previous)
                {
                    ServiceFlag = flags.Find(ServiceFlag.KeyFor(service.Name)),
                    Release = releases.TryGetValue(service.Name, out var release) ? await ActiveAsync(release, flags, cancellationToken) : null,
                };
            }

            var next = new RoutingSnapshot(Current.Revision + 1, routes.ToFrozenDictionary(StringComparer.Ordinal)) { Flags = flags };
            Volatile.Write(ref _current, next);
            LogSwapped(logger, next.Revision, routes.Count);
            Swapped?.Invoke(this, next);
            return next;
        }
        finally
        {
            _rebuild.Release();
        }
    }

    private async Task<ActiveRelease?> ActiveAsync(StoredRelease release, FlagSet flags, CancellationToken cancellationToken)
    {
        var version = await store.GetVersionAsync(release.Service, release.Challenger, cancellationToken);
        if (version is null)
        {
            return null;
        }

        var plan = VigilJson.Deserialize<ReleasePlan>(release.Plan)!;
        var state = VigilJson.Deserialize<ReleaseState>(release.State)!;
        return new ActiveRelease(release.Id, version, ReleaseTraffic.For(state, plan), plan.FallbackOnError) { Flag = flags.Find(ReleaseFlag.KeyFor(release.Id)) };
    }

    /// <summary>
    /// Compiles the stored flags into one <see cref="FlagSet"/>. The API only stores valid flags, so a failure here means
    /// the store holds something this Vigil cannot read (written by another version, or by hand): the previous set stays
    /// in force, whole, rather than silently dropping some flags, and the reason is logged.
    /// </summary>
    private FlagSet BuildFlags(IReadOnlyList<StoredFlag> stored, IReadOnlyList<StoredSegment> storedSegments)
    {
        var definitions = new List<FlagDefinition>(stored.Count);
        var errors = new List<string>();
        foreach (var flag in stored)
        {
            try
            {
                var definition = VigilJson.Deserialize<FlagDefinition>(flag.Definition);
                if (definition is null || definition.Key != flag.Key)
                {
                    errors.Add($"flag '{flag.Key}': the stored definition is null or names another key");
                    continue;
                }

                definitions.Add(definition);
            }
            catch (JsonException ex)
            {
                errors.Add($"flag '{flag.Key}': the stored definition cannot be read: {ex.Message}");
            }
        }

        var segments = ReadSegments(storedSegments, errors);
        if (errors.Count == 0)
        {
            var created = FlagSet.Create(definitions, segments);
            if (created.IsSuccess)
            {
                return created.Value!;
            }

            errors.AddRange(created.Failure!.Errors.Count > 0 ? created.Failure.Errors : [created.Failure.Message]);
        }

        var previous = Current.Flags;
        LogFlagsRejected(logger, stored.Count, previous.Flags.Count, string.Join("; ", errors));
        return previous;
    }

    /// <summary>Reads the stored segments; an unreadable one is an error in <paramref name="errors"/>.</summary>
    internal static List<Segment> ReadSegments(IReadOnlyList<StoredSegment> stored, List<string> errors)
    {
        var segments = new List<Segment>(stored.Count);
        foreach (var segment in stored)
        {
            try
            {
                if (VigilJson.Deserialize<Segment>(segment.Definition) is { } definition && definition.Key == segment.Key)
                {
                    segments.Add(definition);
                }
                else
                {
                    errors.Add($"segment '{segment.Key}': the stored definition is null or names another key");
                }
            }
            catch (JsonException ex)
            {
                errors.Add($"segment '{segment.Key}': the stored definition cannot be read: {ex.Message}");
            }
        }

        return segments;
    }

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "The {Stored} stored flags cannot be compiled; the previous {Kept} flags stay in force: {Errors}")]
    private static partial void LogFlagsRejected(ILogger logger, int stored, int kept, string errors);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Routing snapshot {Revision} swapped in with {Services} services")]
    private static partial void LogSwapped(ILogger logger, long revision, int services);
}
