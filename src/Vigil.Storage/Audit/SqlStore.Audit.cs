using System.Data.Common;
using Vigil.Audit;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>The audit log: appended in the transaction of the change it records, read newest first.</summary>
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public Task<AuditEvent> AppendAuditAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        return InTransactionAsync(
            (connection, transaction) => InsertAuditAsync(connection, transaction, auditEvent, cancellationToken),
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditEvent>> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var conditions = new List<string>();
        var parameters = new List<(string, object?)>();
        void Where(string condition, string name, object value)
        {
            conditions.Add(condition);
            parameters.Add((name, value));
        }

        if (query.Service is not null)
        {
            Where("service = @service", "service", query.Service);
        }

        if (query.Actor is not null)
        {
            Where("actor = @actor", "actor", query.Actor);
        }

        if (query.Action is not null)
        {
            Where("action = @action", "action", query.Action);
        }

        if (query.Since is { } since)
        {
            Where("at >= @since", "since", ToDb(since));
        }

        if (query.Until is { } until)
        {
            Where("at < @until", "until", ToDb(until));
        }

        if (query.BeforeId is { } beforeId)
        {
            Where("id < @before_id", "before_id", beforeId);
        }

        parameters.Add(("limit", Math.Clamp(query.Limit, 1, AuditQuery.MaxLimit)));
        var where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        return await QueryAsync(
            $"SELECT {AuditColumns} FROM audit_events {where} ORDER BY id DESC LIMIT @limit",
            ReadAudit,
            cancellationToken,
            [.. parameters]);
    }

    private async Task<AuditEvent> InsertAuditAsync(DbConnection connection, DbTransaction transaction, AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        var stored = auditEvent with { At = Timestamps.Normalize(auditEvent.At) };
        var id = await ScalarAsync(
            connection,
            transaction,
            """
            INSERT INTO audit_events (at, actor, action, service, target, before, after, reason)
            VALUES (@at, @actor, @action, @service, @target, @before, @after, @reason)
            RETURNING id
            """,
            cancellationToken,
            ("at", ToDb(stored.At)),
            ("actor", stored.Actor),
            ("action", stored.Action),
            ("service", stored.Service),
            ("target", stored.Target),
            ("before", stored.Before),
            ("after", stored.After),
            ("reason", stored.Reason));
        return stored with { Id = Convert.ToInt64(id) };
    }

    private static AuditEvent Audit(AuditContext who, string action, string? service, string target, string? before, string? after) =>
        new(0, who.At, who.Actor, action, service, target, before, after, who.Reason);

    private AuditEvent ReadAudit(DbDataReader reader) => new(
        reader.GetInt64(0),
        ReadTime(reader, 1),
        reader.GetString(2),
        reader.GetString(3),
        NullableString(reader, 4),
        reader.GetString(5),
        NullableString(reader, 6),
        NullableString(reader, 7),
        NullableString(reader, 8));
}
