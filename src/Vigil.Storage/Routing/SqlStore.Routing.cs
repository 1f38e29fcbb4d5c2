using System.Data.Common;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Routing.Flags;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>Flags: versioned JSON definitions, created, replaced and switched with an audit event.</summary>
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public Task<Result<StoredFlag>> CreateFlagAsync(StoredFlag flag, AuditContext who, CancellationToken cancellationToken) =>
        CreateDefinitionAsync(DefinitionTable.Flags, flag, FlagCreated, who, cancellationToken);

    /// <inheritdoc />
    public Task<Result<StoredFlag>> UpdateFlagAsync(string key, long expectedRevision, string definition, string action, AuditContext who, CancellationToken cancellationToken) =>
        UpdateDefinitionAsync(DefinitionTable.Flags, key, expectedRevision, definition, action, who, cancellationToken);

    /// <summary>A table of versioned JSON definitions keyed by a DNS label: flags, and flag segments.</summary>
    private sealed record DefinitionTable(string Name, string Noun, string TargetPrefix)
    {
        public static DefinitionTable Flags { get; } = new("flags", "flag", "flags");

        public static DefinitionTable Segments { get; } = new("flag_segments", "segment", "segments");

        public string Target(StoredFlag row) => row.Service is null ? $"{TargetPrefix}/{row.Key}" : $"{row.Service}/{TargetPrefix}/{row.Key}";
    }

    /// <summary>Inserts a definition at revision 1 with its audit event; Conflict when the key is taken.</summary>
    private Task<Result<StoredFlag>> CreateDefinitionAsync(DefinitionTable table, StoredFlag row, string action, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(who);
        var stored = row with { Revision = 1, UpdatedAt = Timestamps.Normalize(row.UpdatedAt) };
        return ChangeAsync<StoredFlag>(
            new ControlPlaneChange(row.Service, action),
            (connection, transaction) => InsertDefinitionAsync(connection, transaction, table, stored, action, who, cancellationToken),
            cancellationToken);
    }

    /// <summary>Inserts a definition (at the revision and time it carries) with its audit event inside the caller's transaction; Conflict when the key is taken.</summary>
    private async Task<Result<StoredFlag>> InsertDefinitionAsync(
        DbConnection connection, DbTransaction transaction, DefinitionTable table, StoredFlag stored, string action, AuditContext who, CancellationToken cancellationToken)
    {
        var inserted = await ExecuteAsync(
            connection,
            transaction,
            $"""
            INSERT INTO {table.Name} ({FlagColumns})
            VALUES (@key, @service, @definition, @revision, @updated_at)
            ON CONFLICT (key) DO NOTHING
            """,
            cancellationToken,
            ("key", stored.Key),
            ("service", stored.Service),
            ("definition", stored.Definition),
            ("revision", stored.Revision),
            ("updated_at", ToDb(stored.UpdatedAt)));
        if (inserted == 0)
        {
            return Failure.Conflict($"a {table.Noun} with key '{stored.Key}' already exists");
        }

        await InsertAuditAsync(
            connection,
            transaction,
            Audit(who, action, stored.Service, table.Target(stored), before: null, after: stored.Definition),
            cancellationToken);
        return Result<StoredFlag>.Ok(stored);
    }

    /// <summary>
    /// Switches a flag on or off inside the caller's transaction, audited as <c>flag.enabled</c>/<c>flag.disabled</c> with
    /// before and after. A flag already so, or absent, is left alone: returns the change made, or null.
    /// </summary>
    private async Task<ControlPlaneChange?> SwitchFlagAsync(
        DbConnection connection, DbTransaction transaction, string key, bool enabled, AuditContext who, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            connection,
            $"SELECT {FlagColumns} FROM flags WHERE key = @key{ForUpdate}",
            ReadFlag,
            cancellationToken,
            transaction,
            ("key", key));
        if (found.Count == 0 || VigilJson.Deserialize<FlagDefinition>(found[0].Definition) is not { } definition || definition.Enabled == enabled)
        {
            return null;
        }

        var current = found[0];
        var action = enabled ? AuditActions.FlagEnabled : AuditActions.FlagDisabled;
        var updated = current with { Definition = VigilJson.Serialize(definition with { Enabled = enabled }), Revision = current.Revision + 1, UpdatedAt = Timestamps.Normalize(who.At) };
        await ExecuteAsync(
            connection,
            transaction,
            "UPDATE flags SET definition = @definition, revision = @revision, updated_at = @updated_at WHERE key = @key",
            cancellationToken,
            ("definition", updated.Definition),
            ("revision", updated.Revision),
            ("updated_at", ToDb(updated.UpdatedAt)),
            ("key", key));
        await InsertAuditAsync(
            connection,
            transaction,
            Audit(who, action, current.Service, DefinitionTable.Flags.Target(current), current.Definition, updated.Definition),
            cancellationToken);
        return new ControlPlaneChange(current.Service, action);
    }

    /// <summary>Replaces a definition at the expected revision with its audit event (before and after).</summary>
    private Task<Result<StoredFlag>> UpdateDefinitionAsync(
        DefinitionTable table, string key, long expectedRevision, string definition, string action, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<StoredFlag>(
            updated => new ControlPlaneChange(updated.Service, action),
            async (connection, transaction) =>
            {
                var found = await QueryAsync(
                    connection,
                    $"SELECT {FlagColumns} FROM {table.Name} WHERE key = @key{ForUpdate}",
                    ReadFlag,
                    cancellationToken,
                    transaction,
                    ("key", key));
                if (found.Count == 0)
                {
                    return Failure.NotFound($"there is no {table.Noun} with key '{key}'");
                }

                var current = found[0];
                if (current.Revision != expectedRevision)
                {
                    return Failure.Conflict(
                        $"{table.Noun} '{key}' changed meanwhile (now at revision {current.Revision}, expected {expectedRevision}); read it again and retry");
                }

                var updated = current with { Definition = definition, Revision = expectedRevision + 1, UpdatedAt = Timestamps.Normalize(who.At) };
                await ExecuteAsync(
                    connection,
                    transaction,
                    $"UPDATE {table.Name} SET definition = @definition, revision = @revision, updated_at = @updated_at WHERE key = @key",
                    cancellationToken,
                    ("definition", updated.Definition),
                    ("revision", updated.Revision),
                    ("updated_at", ToDb(updated.UpdatedAt)),
                    ("key", key));
                await InsertAuditAsync(
                    connection,
                    transaction,
                    Audit(who, action, current.Service, table.Target(current), current.Definition, updated.Definition),
                    cancellationToken);
                return Result<StoredFlag>.Ok(updated);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<StoredFlag?> GetFlagAsync(string key, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {FlagColumns} FROM flags WHERE key = @key", ReadFlag, cancellationToken, ("key", key));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredFlag>> ListFlagsAsync(string? service, CancellationToken cancellationToken) =>
        service is null
            ? await QueryAsync($"SELECT {FlagColumns} FROM flags ORDER BY key", ReadFlag, cancellationToken)
            : await QueryAsync($"SELECT {FlagColumns} FROM flags WHERE service = @service ORDER BY key", ReadFlag, cancellationToken, ("service", service));

    private StoredFlag ReadFlag(DbDataReader reader) => new(
        reader.GetString(0),
        NullableString(reader, 1),
        reader.GetString(2),
        reader.GetInt64(3),
        ReadTime(reader, 4));
}
