using Vigil.Audit;

namespace Vigil.Monitoring;

/// <summary>Monitoring's part of the store: window summaries with roll-ups, alert states and silences (docs/monitoring.md).</summary>
public interface IMonitoringStore
{
    /// <summary>The inputs (JSON objects) of a version's logged requests that did not fail, made in [<paramref name="from"/>, <paramref name="to"/>), earliest first.</summary>
    Task<IReadOnlyList<string>> ListPredictionInputsAsync(string service, int version, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Adds closed one-minute windows: each is stored at minute resolution and folded into its hour and its day with
    /// <paramref name="combine"/>(existing summary, added summary) → combined summary. A window already stored (another
    /// replica's share of the same minute) is combined the same way. One transaction per call.
    /// </summary>
    Task AddWindowsAsync(IReadOnlyList<StoredWindow> minutes, Func<string, string, string> combine, CancellationToken cancellationToken);

    /// <summary>Windows of one service (optionally one version) at a resolution, starting at or after <paramref name="since"/>, oldest first, at most the newest <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredWindow>> ListWindowsAsync(string service, int? version, WindowResolution resolution, DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes windows past their resolution's retention (<see cref="StoredWindow.RetentionOf"/>) at <paramref name="now"/>; returns how many.</summary>
    Task<int> PruneWindowsAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Writes an alert's status if its stored revision is still <paramref name="expectedRevision"/> (0: not stored yet), else
    /// Conflict; returns it with the next revision. Keeps the acknowledgement unless the status starts a new episode. Not audited:
    /// an alert's state is an observation; acks and silences are the audited changes.
    /// </summary>
    Task<Result<StoredAlert>> PutAlertAsync(StoredAlert alert, long expectedRevision, CancellationToken cancellationToken);

    Task<StoredAlert?> GetAlertAsync(string id, CancellationToken cancellationToken);

    /// <summary>Alerts newest first (by fired or active time), of one service when given, without inactive ones unless asked.</summary>
    Task<IReadOnlyList<StoredAlert>> ListAlertsAsync(string? service, bool includeInactive, CancellationToken cancellationToken);

    /// <summary>Acknowledges a pending or firing alert's episode with an audit event (<c>alert.acked</c>); NotFound, or Conflict when it is not active.</summary>
    Task<Result<StoredAlert>> AckAlertAsync(string id, string reason, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Stores a silence with an audit event (<c>silence.created</c>); Conflict when the id is taken.</summary>
    Task<Result<Silence>> CreateSilenceAsync(Silence silence, AuditContext who, CancellationToken cancellationToken);

    /// <summary>Silences newest first; only those in force or yet to start at <paramref name="now"/> unless <paramref name="includeExpired"/>.</summary>
    Task<IReadOnlyList<Silence>> ListSilencesAsync(bool includeExpired, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Ends a silence now (<c>silence.expired</c>, audited); NotFound, or Conflict when it has already ended.</summary>
    Task<Result<Silence>> ExpireSilenceAsync(string id, AuditContext who, CancellationToken cancellationToken);
}
