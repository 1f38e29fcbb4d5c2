namespace Vigil.Predictions;

/// <summary>
/// One delayed truth about a prediction (task_completed, accepted, escalated, label …), joined to it by request id.
/// Stored whether or not the prediction is known yet: one whose request id matches no prediction is an orphan.
/// </summary>
/// <param name="RequestId">The prediction's request id.</param>
/// <param name="Name">The outcome's name.</param>
/// <param name="Value">The value as JSON (true, 1, "spam" …).</param>
/// <param name="Numeric">The numeric reading of the value: true → 1, false → 0, numbers as they are, null otherwise.</param>
/// <param name="ReceivedAt">When Vigil received it.</param>
public sealed record FeedbackOutcome(string RequestId, string Name, string Value, double? Numeric, DateTimeOffset ReceivedAt)
{
    public const int MaxNameLength = 64;
    public const int MaxRequestIdLength = 128;
}

/// <summary>What the store did with a batch of outcomes.</summary>
/// <param name="Stored">Newly stored outcomes.</param>
/// <param name="Duplicates">Outcomes already stored for the same (request id, name): the first one is kept.</param>
public sealed record FeedbackResult(int Stored, int Duplicates);
