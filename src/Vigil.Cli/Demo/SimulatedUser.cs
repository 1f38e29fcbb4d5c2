namespace Vigil.Cli.Demo;

/// <summary>A simulated user of the recommender: who they are does not change between their requests.</summary>
/// <param name="Id">A number unique within one demo run.</param>
/// <param name="TenureDays">Days since sign-up (≥ 0).</param>
/// <param name="Device">mobile, desktop or tablet.</param>
/// <param name="Country">DE, FR, US, GB, BR or IN.</param>
/// <param name="IsSubscriber">Whether the user pays for a subscription.</param>
public sealed record SimulatedUser(int Id, double TenureDays, string Device, string Country, bool IsSubscriber)
{
    /// <summary>The request key used for sticky assignment: <c>user-{Id}</c>.</summary>
    public string Key => $"user-{Id}";
}
