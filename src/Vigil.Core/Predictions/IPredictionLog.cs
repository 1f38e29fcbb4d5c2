namespace Vigil.Predictions;

/// <summary>Predictions and their outcomes as the store keeps them: written in batches, joined by request id.</summary>
public interface IPredictionLog
{
    /// <summary>Writes a batch of prediction records (PostgreSQL: binary COPY). A request id already stored is skipped, never duplicated.</summary>
    Task WritePredictionsAsync(IReadOnlyList<PredictionRecord> batch, CancellationToken cancellationToken);

    Task<PredictionRecord?> GetPredictionAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Stores outcomes, idempotent per (request id, name): the first value is kept, repeats are counted as duplicates.</summary>
    Task<FeedbackResult> RecordOutcomesAsync(IReadOnlyList<FeedbackOutcome> outcomes, CancellationToken cancellationToken);

    Task<IReadOnlyList<FeedbackOutcome>> GetOutcomesAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>The request ids among <paramref name="requestIds"/> that match no stored prediction.</summary>
    Task<IReadOnlyList<string>> FindUnknownRequestIdsAsync(IReadOnlyCollection<string> requestIds, CancellationToken cancellationToken);

    /// <summary>Outcomes whose request id matches no stored prediction.</summary>
    Task<long> CountOrphanOutcomesAsync(CancellationToken cancellationToken);
}
