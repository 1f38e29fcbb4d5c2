namespace Vigil.Cli.Demo;

/// <summary>Feedback a simulated user will send later: whether they engaged with what request <paramref name="RequestId"/> recommended.</summary>
/// <param name="RequestId">The prediction's request id.</param>
/// <param name="Engaged">Whether the user engaged.</param>
/// <param name="DueAt">The simulated time the feedback arrives.</param>
public sealed record PendingFeedback(string RequestId, bool Engaged, DateTimeOffset DueAt);
