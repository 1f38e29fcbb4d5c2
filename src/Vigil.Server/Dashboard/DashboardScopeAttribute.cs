using Vigil.Access;

namespace Vigil.Server.Dashboard;

/// <summary>
/// Marks a dashboard page or form endpoint with the scope its user needs. The dashboard's access check
/// (<see cref="DashboardEndpoints"/>) reads it: loopback-open mode lets everyone in as <c>local</c>; otherwise the API key
/// kept in the login cookie must hold the scope.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class DashboardScopeAttribute(ApiScopes scope) : Attribute
{
    public ApiScopes Scope { get; } = scope;
}
