namespace Vigil.Audit;

/// <summary>The append-only audit log: every control-plane change, by a person or the control loop.</summary>
public interface IAuditLog
{
    /// <summary>Appends an audit event that is not part of another store change; the id is assigned.</summary>
    Task<AuditEvent> AppendAuditAsync(AuditEvent auditEvent, CancellationToken cancellationToken);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<AuditEvent>> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken);
}
