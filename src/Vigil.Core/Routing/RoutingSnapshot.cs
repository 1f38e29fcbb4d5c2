using System.Collections.Frozen;
using Vigil.Registry;

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

    public ServiceRoute? Find(string service) => Services.GetValueOrDefault(service);
}

/// <summary>How one service is routed now.</summary>
/// <param name="Service">Its definition (schema, output).</param>
/// <param name="Aliases">Its aliases.</param>
/// <param name="Champion">The champion version, or null when none is set (requests then get 503).</param>
/// <param name="Challenger">The challenger version, if any.</param>
/// <param name="PreviousChampion">The previous champion, kept loaded so a rollback is instant.</param>
public sealed record ServiceRoute(ServiceDefinition Service, AliasSet Aliases, ModelVersion? Champion, ModelVersion? Challenger, ModelVersion? PreviousChampion = null);
