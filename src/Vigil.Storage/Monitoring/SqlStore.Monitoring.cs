using System.Data.Common;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>Monitoring: window summaries and their roll-ups, alert states and silences.</summary>
public abstract partial class SqlStore
{
    private const string AlertColumns =
        "id, service, version, arm, monitor, subject, state, severity, layer, active_at, first_bad_window_start, fired_at, last_held_at, " +
        "resolved_at, value, threshold, time_to_detect_seconds, summary, inhibited, ack_by, ack_at, ack_reason, revision, updated_at";

    private const string SilenceColumns = "id, service, monitor, subject, starts_at, ends_at, created_by, comment, created_at, expired_by";

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListPredictionInputsAsync(string service, int version, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            """
            SELECT inputs FROM predictions
            WHERE service = @service AND version = @version AND at >= @from AND at < @to AND error IS NULL
            ORDER BY at LIMIT @limit
            """,
            reader => reader.GetString(0),
            cancellationToken,
            ("service", service),
            ("version", version),
            ("from", ToDb(from)),
            ("to", ToDb(to)),
            ("limit", Math.Max(0, limit)));

    /// <inheritdoc />
    public async Task AddWindowsAsync(IReadOnlyList<StoredWindow> minutes, Func<string, string, string> combine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(minutes);
        ArgumentNullException.ThrowIfNull(combine);
        if (minutes.Count == 0)
        {
            return;
        }

        await InTransactionAsync(
            async (connection, transaction) =>
            {
                foreach (var minute in minutes)
                {
                    foreach (var resolution in (WindowResolution[])[WindowResolution.Minute, WindowResolution.Hour, WindowResolution.Day])
                    {
                        var start = new DateTimeOffset(minute.Start.UtcTicks - (minute.Start.UtcTicks % StoredWindow.LengthOf(resolution).Ticks), TimeSpan.Zero);
                        var keys = new (string, object?)[]
                        {
                            ("service", minute.Service), ("version", minute.Version), ("arm", minute.Arm), ("resolution", Name(resolution)), ("start", ToDb(start)),
                        };
                        var existing = await ScalarAsync(
                            connection,
                            transaction,
                            $"SELECT summary FROM monitor_windows WHERE service = @service AND version = @version AND arm = @arm AND resolution = @resolution AND start = @start{ForUpdate}",
                            cancellationToken,
                            keys);
                        if (existing is string summary)
                        {
                            await ExecuteAsync(
                                connection,
                                transaction,
                                "UPDATE monitor_windows SET summary = @summary WHERE service = @service AND version = @version AND arm = @arm AND resolution = @resolution AND start = @start",
                                cancellationToken,
                                [.. keys, ("summary", combine(summary, minute.Summary))]);
                        }
                        else
                        {
                            await ExecuteAsync(
                                connection,
                                transaction,
                                "INSERT INTO monitor_windows (service, version, arm, resolution, start, summary) VALUES (@service, @version, @arm, @resolution, @start, @summary)",
                                cancellationToken,
                                [.. keys, ("summary", minute.Summary)]);
                        }
                    }
                }

                return 0;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredWindow>> ListWindowsAsync(string service, int? version, WindowResolution resolution, DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            $"""
            SELECT service, version, arm, resolution, start, summary FROM monitor_windows
            WHERE service = @service AND resolution = @resolution AND start >= @since{(version is null ? string.Empty : " AND version = @version")}
            ORDER BY start DESC, version, arm LIMIT @limit
            """,
            reader => new StoredWindow(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), Enum.Parse<WindowResolution>(reader.GetString(3), ignoreCase: true), ReadTime(reader, 4), reader.GetString(5)),
            cancellationToken,
            ("service", service),
            ("resolution", Name(resolution)),
            ("since", ToDb(since)),
            ("version", version),
            ("limit", Math.Max(0, limit)));
        rows.Reverse();
        return rows;
    }

    /// <inheritdoc />
    public Task<int> PruneWindowsAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        InTransactionAsync(
            async (connection, transaction) =>
            {
                var deleted = 0;
                foreach (var resolution in (WindowResolution[])[WindowResolution.Minute, WindowResolution.Hour, WindowResolution.Day])
                {
                    deleted += await ExecuteAsync(
                        connection,
                        transaction,
                        "DELETE FROM monitor_windows WHERE resolution = @resolution AND start < @before",
                        cancellationToken,
                        ("resolution", Name(resolution)),
                        ("before", ToDb(now - StoredWindow.RetentionOf(resolution))));
                }

                return deleted;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<Result<StoredAlert>> PutAlertAsync(StoredAlert alert, long expectedRevision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return InTransactionAsync<Result<StoredAlert>>(
            async (connection, transaction) =>
            {
                var found = await QueryAsync(connection, $"SELECT {AlertColumns} FROM alerts WHERE id = @id{ForUpdate}", ReadAlert, cancellationToken, transaction, ("id", alert.Id));
                var current = found.Count == 0 ? null : found[0];
                if ((current?.Revision ?? 0) != expectedRevision)
                {
                    return Failure.Conflict($"alert '{alert.Id}' is at revision {current?.Revision ?? 0}, not {expectedRevision}: another replica wrote it; read it again");
                }

                // The acknowledgement belongs to an episode: it stays while the episode (its active_at) does.
                var ack = current?.Ack is { } kept && current.Status.ActiveAt == alert.Status.ActiveAt && alert.Status.State is AlertState.Pending or AlertState.Firing
                    ? kept
                    : null;
                var stored = Normalize(alert) with { Ack = ack, Revision = expectedRevision + 1 };
                var parameters = AlertParameters(stored);
                await ExecuteAsync(
                    connection,
                    transaction,
                    current is null
                        ? $"""
                          INSERT INTO alerts ({AlertColumns})
                          VALUES (@id, @service, @version, @arm, @monitor, @subject, @state, @severity, @layer, @active_at, @first_bad_window_start, @fired_at,
                                  @last_held_at, @resolved_at, @value, @threshold, @time_to_detect_seconds, @summary, @inhibited, @ack_by, @ack_at, @ack_reason,
                                  @revision, @updated_at)
                          """
                        : """
                          UPDATE alerts SET state = @state, severity = @severity, layer = @layer, active_at = @active_at,
                              first_bad_window_start = @first_bad_window_start, fired_at = @fired_at, last_held_at = @last_held_at, resolved_at = @resolved_at,
                              value = @value, threshold = @threshold, time_to_detect_seconds = @time_to_detect_seconds, summary = @summary, inhibited = @inhibited,
                              ack_by = @ack_by, ack_at = @ack_at, ack_reason = @ack_reason, revision = @revision, updated_at = @updated_at
                          WHERE id = @id
                          """,
                    cancellationToken,
                    parameters);
                return Result<StoredAlert>.Ok(stored);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<StoredAlert?> GetAlertAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {AlertColumns} FROM alerts WHERE id = @id", ReadAlert, cancellationToken, ("id", id))).FirstOrDefault();

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredAlert>> ListAlertsAsync(string? service, bool includeInactive, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        if (service is not null)
        {
            where.Add("service = @service");
        }

        if (!includeInactive)
        {
            where.Add("state <> 'inactive'");
        }

        var rows = await QueryAsync(
            $"SELECT {AlertColumns} FROM alerts{(where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where))}",
            ReadAlert,
            cancellationToken,
            ("service", service));
        return [.. rows.OrderByDescending(a => a.Status.FiredAt ?? a.Status.ActiveAt ?? a.UpdatedAt).ThenBy(a => a.Id, StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    public async Task<Result<StoredAlert>> AckAlertAsync(string id, string reason, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        StoredAlert? service = await GetAlertAsync(id, cancellationToken);
        if (service is null)
        {
            return Failure.NotFound($"there is no alert '{id}'; list them with 'vigil alerts list'");
        }

        return await ChangeAsync<StoredAlert>(
            new ControlPlaneChange(service.Service, MonitoringAuditActions.AlertAcked),
            async (connection, transaction) =>
            {
                var found = await QueryAsync(connection, $"SELECT {AlertColumns} FROM alerts WHERE id = @id{ForUpdate}", ReadAlert, cancellationToken, transaction, ("id", id));
                var current = found[0];
                if (current.Status.State is not (AlertState.Pending or AlertState.Firing))
                {
                    return Failure.Conflict($"alert '{id}' is {current.Status.State.ToString().ToLowerInvariant()}; only pending and firing alerts can be acknowledged");
                }

                var ack = new AlertAck(who.Actor, Timestamps.Normalize(who.At), reason);
                await ExecuteAsync(
                    connection,
                    transaction,
                    "UPDATE alerts SET ack_by = @ack_by, ack_at = @ack_at, ack_reason = @ack_reason WHERE id = @id",
                    cancellationToken,
                    ("ack_by", ack.By),
                    ("ack_at", ToDb(ack.At)),
                    ("ack_reason", ack.Reason),
                    ("id", id));
                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who with { Reason = reason }, MonitoringAuditActions.AlertAcked, current.Service, AlertTarget(current),
                        current.Ack is null ? null : VigilJson.Serialize(current.Ack), VigilJson.Serialize(ack)),
                    cancellationToken);
                return Result<StoredAlert>.Ok(current with { Ack = ack });
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<Result<Silence>> CreateSilenceAsync(Silence silence, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(silence);
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<Silence>(
            new ControlPlaneChange(silence.Service, MonitoringAuditActions.SilenceCreated),
            async (connection, transaction) =>
            {
                if (await ScalarAsync(connection, transaction, "SELECT 1 FROM silences WHERE id = @id", cancellationToken, ("id", silence.Id)) is not null)
                {
                    return Failure.Conflict($"a silence with id '{silence.Id}' already exists");
                }

                var stored = silence with
                {
                    StartsAt = Timestamps.Normalize(silence.StartsAt),
                    EndsAt = Timestamps.Normalize(silence.EndsAt),
                    CreatedAt = Timestamps.Normalize(silence.CreatedAt),
                };
                await ExecuteAsync(
                    connection,
                    transaction,
                    $"INSERT INTO silences ({SilenceColumns}) VALUES (@id, @service, @monitor, @subject, @starts_at, @ends_at, @created_by, @comment, @created_at, @expired_by)",
                    cancellationToken,
                    SilenceParameters(stored));
                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who with { Reason = stored.Comment }, MonitoringAuditActions.SilenceCreated, stored.Service, $"silences/{stored.Id}", null, VigilJson.Serialize(stored)),
                    cancellationToken);
                return Result<Silence>.Ok(stored);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Silence>> ListSilencesAsync(bool includeExpired, DateTimeOffset now, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {SilenceColumns} FROM silences{(includeExpired ? string.Empty : " WHERE ends_at > @now")} ORDER BY created_at DESC, id",
            ReadSilence,
            cancellationToken,
            ("now", ToDb(now)));

    /// <inheritdoc />
    public async Task<Result<Silence>> ExpireSilenceAsync(string id, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        var existing = (await QueryAsync($"SELECT {SilenceColumns} FROM silences WHERE id = @id", ReadSilence, cancellationToken, ("id", id))).FirstOrDefault();
        if (existing is null)
        {
            return Failure.NotFound($"there is no silence '{id}'; list them with 'vigil alerts silences'");
        }

        return await ChangeAsync<Silence>(
            new ControlPlaneChange(existing.Service, MonitoringAuditActions.SilenceExpired),
            async (connection, transaction) =>
            {
                var current = (await QueryAsync(connection, $"SELECT {SilenceColumns} FROM silences WHERE id = @id{ForUpdate}", ReadSilence, cancellationToken, transaction, ("id", id)))[0];
                var at = Timestamps.Normalize(who.At);
                if (current.EndsAt <= at)
                {
                    return Failure.Conflict($"silence '{id}' already ended at {current.EndsAt:O}");
                }

                var expired = current with { EndsAt = at, ExpiredBy = who.Actor };
                await ExecuteAsync(
                    connection,
                    transaction,
                    "UPDATE silences SET ends_at = @ends_at, expired_by = @expired_by WHERE id = @id",
                    cancellationToken,
                    ("ends_at", ToDb(at)),
                    ("expired_by", who.Actor),
                    ("id", id));
                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who, MonitoringAuditActions.SilenceExpired, current.Service, $"silences/{id}", VigilJson.Serialize(current), VigilJson.Serialize(expired)),
                    cancellationToken);
                return Result<Silence>.Ok(expired);
            },
            cancellationToken);
    }

    private static string Name(WindowResolution resolution) => resolution.ToString().ToLowerInvariant();

    private static string AlertTarget(StoredAlert alert) => $"{alert.Service}/alerts/{alert.Id}";

    private static StoredAlert Normalize(StoredAlert alert)
    {
        static DateTimeOffset? N(DateTimeOffset? t) => t is { } v ? Timestamps.Normalize(v) : null;
        var s = alert.Status;
        return alert with
        {
            UpdatedAt = Timestamps.Normalize(alert.UpdatedAt),
            Status = s with
            {
                ActiveAt = N(s.ActiveAt),
                FirstBadWindowStart = N(s.FirstBadWindowStart),
                FiredAt = N(s.FiredAt),
                LastHeldAt = N(s.LastHeldAt),
                ResolvedAt = N(s.ResolvedAt),
            },
        };
    }

    private (string, object?)[] AlertParameters(StoredAlert a)
    {
        object? T(DateTimeOffset? t) => t is { } v ? ToDb(v) : null;
        var s = a.Status;
        return
        [
            ("id", a.Id), ("service", a.Service), ("version", a.Version), ("arm", a.Arm), ("monitor", s.Monitor), ("subject", s.Subject),
            ("state", s.State.ToString().ToLowerInvariant()), ("severity", a.Severity.ToString().ToLowerInvariant()), ("layer", a.Layer.ToString().ToLowerInvariant()),
            ("active_at", T(s.ActiveAt)), ("first_bad_window_start", T(s.FirstBadWindowStart)), ("fired_at", T(s.FiredAt)), ("last_held_at", T(s.LastHeldAt)),
            ("resolved_at", T(s.ResolvedAt)), ("value", double.IsFinite(s.Value) ? s.Value : null), ("threshold", s.Threshold),
            ("time_to_detect_seconds", s.TimeToDetectSeconds), ("summary", a.Summary), ("inhibited", a.Inhibited), ("ack_by", a.Ack?.By),
            ("ack_at", T(a.Ack?.At)), ("ack_reason", a.Ack?.Reason), ("revision", a.Revision), ("updated_at", ToDb(a.UpdatedAt)),
        ];
    }

    private StoredAlert ReadAlert(DbDataReader reader)
    {
        DateTimeOffset? T(int ordinal) => reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal);
        var status = new AlertStatus(
            reader.GetString(4),
            reader.GetString(5),
            Enum.Parse<AlertState>(reader.GetString(6), ignoreCase: true),
            T(9),
            T(10),
            T(11),
            T(12),
            T(13),
            reader.IsDBNull(14) ? double.NaN : reader.GetDouble(14),
            reader.GetDouble(15));
        var ack = reader.IsDBNull(19) ? null : new AlertAck(reader.GetString(19), ReadTime(reader, 20), reader.GetString(21));
        return new StoredAlert(
            reader.GetString(0),
            reader.GetString(1),
            reader.GetInt32(2),
            reader.GetString(3),
            status,
            Enum.Parse<AlertSeverity>(reader.GetString(7), ignoreCase: true),
            Enum.Parse<MonitorLayer>(reader.GetString(8), ignoreCase: true),
            NullableString(reader, 17),
            reader.GetBoolean(18),
            ack,
            reader.GetInt64(22),
            ReadTime(reader, 23));
    }

    private (string, object?)[] SilenceParameters(Silence s) =>
    [
        ("id", s.Id), ("service", s.Service), ("monitor", s.Monitor), ("subject", s.Subject), ("starts_at", ToDb(s.StartsAt)), ("ends_at", ToDb(s.EndsAt)),
        ("created_by", s.CreatedBy), ("comment", s.Comment), ("created_at", ToDb(s.CreatedAt)), ("expired_by", s.ExpiredBy),
    ];

    private Silence ReadSilence(DbDataReader reader) => new(
        reader.GetString(0),
        NullableString(reader, 1),
        NullableString(reader, 2),
        NullableString(reader, 3),
        ReadTime(reader, 4),
        ReadTime(reader, 5),
        reader.GetString(6),
        reader.GetString(7),
        ReadTime(reader, 8),
        NullableString(reader, 9));
}
