using System.Collections.Frozen;
using Vigil.Registry;
using Vigil.Routing.Flags;

namespace Vigil.Routing;

/// <summary>
/// Everything the request path needs to route a request, built from the registry and swapped atomically when the
/// control plane changes. Immutable: the request path reads it without locks and never touches the store.
/// </summary>
/// <param name="Revision">Increases with every rebuild in this process.</param>
/// <param name="Services">Routes by service name.</param>
public sealed record RoutingSnapshot(long Revision, FrozenDictionary<string, ServiceRoute> Services)
{
    public static RoutingSnapshot Empty { get; } = new(0, FrozenDictionary<string, ServiceRoute>.Empty);

    /// <summary>Every flag, compiled (service flags included); <see cref="FlagSet.Empty"/> when there are none.</summary>
    public FlagSet Flags { get; init; } = FlagSet.Empty;

    public ServiceRoute? Find(string service) => Services.GetValueOrDefault(service);
}

/// <summary>How one service is routed now.</summary>
/// <param name="Service">Its definition (schema, output).</param>
/// <param name="Aliases">Its aliases.</param>
/// <param name="Champion">The champion version, or null when none is set (requests then get 503).</param>
/// <param name="Challenger">The challenger version, if any.</param>
/// <param name="PreviousChampion">The previous champion, kept loaded so a rollback is instant.</param>
public sealed record ServiceRoute(ServiceDefinition Service, AliasSet Aliases, ModelVersion? Champion, ModelVersion? Challenger, ModelVersion? PreviousChampion = null)
{
    /// <summary>
    /// The service's flag (<see cref="Flags.ServiceFlag.KeyFor"/>), compiled, from the snapshot's <see cref="RoutingSnapshot.Flags"/>;
    /// null when the service has none (a service created before service flags existed): then it is always served.
    /// </summary>
    public FlagEvaluator? ServiceFlag { get; init; }

    /// <summary>The service's active release, if any: what the canary and shadow arms get now.</summary>
    public ActiveRelease? Release { get; init; }
}

/// <summary>An active release as the request path needs it.</summary>
/// <param name="Id">The release id: the canary's bucketing salt.</param>
/// <param name="Challenger">The version released.</param>
/// <param name="Traffic">Shadow sample and canary weight now.</param>
/// <param name="FallbackOnError">Serve the champion when the canary fails.</param>
public sealed record ActiveRelease(string Id, ModelVersion Challenger, Vigil.Releases.ReleaseTraffic Traffic, bool FallbackOnError)
{
    /// <summary>
    /// The release flag (<see cref="ReleaseFlag.KeyFor"/>), compiled; where it evaluates false the request stays with the
    /// champion. Null when the release has no stored flag (started before release flags existed): then only
    /// <see cref="Traffic"/> decides.
    /// </summary>
    public FlagEvaluator? Flag { get; init; }
}
