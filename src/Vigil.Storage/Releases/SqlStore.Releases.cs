using System.Data.Common;
using Vigil.Audit;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Releases;
using Vigil.Routing.Flags;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>Releases: their rows, transitions, and the commands that change a release with its flag and aliases in one transaction.</summary>
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public async Task<Result<StoredRelease>> CreateReleaseAsync(StoredRelease release, ReleaseEvent first, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(release);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(who);
        var stored = release with
        {
            Revision = 1,
            CreatedAt = Timestamps.Normalize(release.CreatedAt),
            UpdatedAt = Timestamps.Normalize(release.UpdatedAt),
        };
        try
        {
            return await ChangeAsync<StoredRelease>(
                new ControlPlaneChange(release.Service, ReleaseStarted),
                (connection, transaction) => InsertReleaseAsync(connection, transaction, stored, first, who, cancellationToken),
                cancellationToken);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            // Another start for the service committed between the check and the insert: the database let only one win.
            await using var connection = await OpenConnectionAsync(cancellationToken);
            return await ReleaseConflictAsync(connection, null, stored, cancellationToken)
                ?? Failure.Conflict($"release '{release.Id}' conflicts with a release started at the same time; read the releases of '{release.Service}' again");
        }
    }

    /// <inheritdoc />
    public async Task<Result<StoredRelease>> StartReleaseAsync(ReleaseStart start, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(who);
        var release = start.Release;
        var stored = release with
        {
            Revision = 1,
            CreatedAt = Timestamps.Normalize(release.CreatedAt),
            UpdatedAt = Timestamps.Normalize(release.UpdatedAt),
        };
        var flag = start.Flag with { Revision = 1, UpdatedAt = Timestamps.Normalize(start.Flag.UpdatedAt) };
        try
        {
            return await ChangesAsync<StoredRelease>(
                async (connection, transaction, changes) =>
                {
                    var created = await InsertReleaseAsync(connection, transaction, stored, start.First, who, cancellationToken);
                    if (!created.IsSuccess)
                    {
                        return created;
                    }

                    changes.Add(new ControlPlaneChange(stored.Service, ReleaseStarted));
                    Written("release");
                    var flagged = await InsertDefinitionAsync(
                        connection, transaction, DefinitionTable.Flags, flag, FlagCreated, who with { Reason = $"the release flag of {stored.Id}, created with the release" }, cancellationToken);
                    if (flagged.Failure is { } noFlag)
                    {
                        return noFlag;
                    }

                    changes.Add(new ControlPlaneChange(flag.Service, FlagCreated));
                    Written("flag");
                    var aliases = await ReadAliasesAsync(connection, transaction, stored.Service, cancellationToken);
                    if (aliases.Challenger != stored.Challenger)
                    {
                        var next = aliases.With(AliasNames.Challenger, stored.Challenger);
                        if (next.Failure is { } refused)
                        {
                            return refused;
                        }

                        var moved = await WriteAliasesAsync(
                            connection, transaction, stored.Service, aliases.Revision, next.Value!, AuditActions.AliasSet, who with { Reason = $"challenger of release {stored.Id}" }, cancellationToken);
                        if (moved.Failure is { } notMoved)
                        {
                            return notMoved;
                        }

                        changes.Add(new ControlPlaneChange(stored.Service, AuditActions.AliasSet));
                        Written("aliases");
                    }

                    return created;
                },
                cancellationToken);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            await using var connection = await OpenConnectionAsync(cancellationToken);
            return await ReleaseConflictAsync(connection, null, stored, cancellationToken)
                ?? Failure.Conflict($"release '{release.Id}' conflicts with a release started at the same time; read the releases of '{release.Service}' again");
        }
    }

    /// <summary>Inserts a release (checked against its service, its version and the one-active-release rule) with its first transition and audit event, inside the caller's transaction.</summary>
    private async Task<Result<StoredRelease>> InsertReleaseAsync(
        DbConnection connection, DbTransaction transaction, StoredRelease stored, ReleaseEvent first, AuditContext who, CancellationToken cancellationToken)
    {
        if (await ScalarAsync(connection, transaction, "SELECT 1 FROM services WHERE name = @name", cancellationToken, ("name", stored.Service)) is null)
        {
            return ServiceNotFound(stored.Service);
        }

        var version = await ScalarAsync(
            connection,
            transaction,
            "SELECT 1 FROM model_versions WHERE service = @service AND number = @number",
            cancellationToken,
            ("service", stored.Service),
            ("number", stored.Challenger));
        if (version is null)
        {
            return Failure.NotFound($"service '{stored.Service}' has no version {stored.Challenger}");
        }

        if (await ReleaseConflictAsync(connection, transaction, stored, cancellationToken) is { } conflict)
        {
            return conflict;
        }

        // The check above gives a clear message; the partial unique index on active releases is what decides a race (see the catch).
        await ExecuteAsync(
            connection,
            transaction,
            $"""
            INSERT INTO releases ({ReleaseColumns})
            VALUES (@id, @service, @challenger, @status, @active, @plan, @state, @revision, @created_at, @updated_at)
            """,
            cancellationToken,
            ("id", stored.Id),
            ("service", stored.Service),
            ("challenger", stored.Challenger),
            ("status", stored.Status),
            ("active", stored.Active),
            ("plan", stored.Plan),
            ("state", stored.State),
            ("revision", stored.Revision),
            ("created_at", ToDb(stored.CreatedAt)),
            ("updated_at", ToDb(stored.UpdatedAt)));
        await InsertReleaseEventAsync(connection, transaction, first with { ReleaseId = stored.Id }, cancellationToken);
        await InsertAuditAsync(
            connection,
            transaction,
            Audit(who, ReleaseStarted, stored.Service, ReleaseTarget(stored), before: null, after: stored.Plan),
            cancellationToken);
        return Result<StoredRelease>.Ok(stored);
    }

    /// <inheritdoc />
    public Task<Result<StoredRelease>> ChangeReleaseAsync(ReleaseUpdate update, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(update.Status);
        ArgumentNullException.ThrowIfNull(update.State);
        return EditReleaseAsync(
            update.Id,
            update.ExpectedRevision,
            update.Transition,
            update.Action,
            who,
            current => Result<ReleaseEdit>.Ok(new ReleaseEdit(current with { Status = update.Status, Active = update.Active, State = update.State }, current.State, update.State)),
            cancellationToken,
            async (connection, transaction, release, changes) =>
            {
                if (update.Promote)
                {
                    var promoted = await PromoteChallengerAsync(connection, transaction, release, who, cancellationToken);
                    if (promoted.Failure is { } notPromoted)
                    {
                        return notPromoted;
                    }

                    if (promoted.Value is { } moved)
                    {
                        changes.Add(moved);
                    }

                    Written("aliases");
                }

                // A switch while the release goes on (the kill switch) is written before the release, as a person would flip
                // it first; the flag of a release that ends goes off after it.
                if (update.Flag is { } flag && update.Active)
                {
                    await SwitchReleaseFlagAsync(connection, transaction, release, flag, who, changes, cancellationToken);
                }

                return null;
            },
            async (connection, transaction, release, changes) =>
            {
                if (update.Flag is { } flag && !update.Active)
                {
                    await SwitchReleaseFlagAsync(connection, transaction, release, flag, who, changes, cancellationToken);
                }
            });
    }

    private async Task SwitchReleaseFlagAsync(
        DbConnection connection, DbTransaction transaction, StoredRelease release, ReleaseFlagSwitch flag, AuditContext who, List<ControlPlaneChange> changes, CancellationToken cancellationToken)
    {
        if (await SwitchFlagAsync(connection, transaction, ReleaseFlag.KeyFor(release.Id), flag.Enabled, flag.Who ?? who, cancellationToken) is { } switched)
        {
            changes.Add(switched);
        }

        Written("flag");
    }

    /// <summary>Makes the release's challenger the service's champion inside the caller's transaction, unless it already is; returns the change made.</summary>
    private async Task<Result<ControlPlaneChange?>> PromoteChallengerAsync(
        DbConnection connection, DbTransaction transaction, StoredRelease release, AuditContext who, CancellationToken cancellationToken)
    {
        var aliases = await ReadAliasesAsync(connection, transaction, release.Service, cancellationToken);
        if (aliases.Champion == release.Challenger)
        {
            return Result<ControlPlaneChange?>.Ok(null);
        }

        var next = (aliases with { Challenger = release.Challenger }).Promote();
        var moved = await WriteAliasesAsync(
            connection, transaction, release.Service, aliases.Revision, next.Value!, AuditActions.AliasPromoted, who with { Reason = $"release {release.Id} promoted: {who.Reason}" }, cancellationToken);
        return moved.Failure is { } failure ? failure : Result<ControlPlaneChange?>.Ok(new ControlPlaneChange(release.Service, AuditActions.AliasPromoted));
    }

    /// <inheritdoc />
    public Task<Result<StoredRelease>> UpdateReleaseAsync(string id, long expectedRevision, string status, bool active, string state, ReleaseEvent transition, string action, AuditContext who, CancellationToken cancellationToken) =>
        ChangeReleaseAsync(new ReleaseUpdate(id, expectedRevision, status, active, state, transition, action), who, cancellationToken);

    /// <inheritdoc />
    public Task<Result<StoredRelease>> PromoteReleaseAsync(string id, long expectedRevision, string status, string state, ReleaseEvent transition, string action, AuditContext who, CancellationToken cancellationToken) =>
        ChangeReleaseAsync(new ReleaseUpdate(id, expectedRevision, status, Active: false, state, transition, action) { Promote = true }, who, cancellationToken);

    /// <inheritdoc />
    public Task<Result<StoredRelease>> AmendReleaseAsync(string id, long expectedRevision, string plan, ReleaseEvent transition, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return EditReleaseAsync(
            id,
            expectedRevision,
            transition,
            ReleaseAmended,
            who,
            current => current.Active
                ? Result<ReleaseEdit>.Ok(new ReleaseEdit(current with { Plan = plan }, current.Plan, plan))
                : Failure.Conflict($"release '{id}' has ended ({current.Status}); only a running release's plan can be amended"),
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<StoredRelease?> GetReleaseAsync(string id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {ReleaseColumns} FROM releases WHERE id = @id", ReadRelease, cancellationToken, ("id", id));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredRelease>> ListReleasesAsync(string? service, bool activeOnly, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, object?)>();
        var where = ServiceActiveFilter(service, activeOnly, parameters);
        return await QueryAsync(
            $"SELECT {ReleaseColumns} FROM releases {where} ORDER BY created_at DESC, id DESC",
            ReadRelease,
            cancellationToken,
            [.. parameters]);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ReleaseEvent>> GetReleaseEventsAsync(string id, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {ReleaseEventColumns} FROM release_events WHERE release_id = @release_id ORDER BY id",
            reader => new ReleaseEvent(
                reader.GetInt64(0),
                reader.GetString(1),
                ReadTime(reader, 2),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                NullableString(reader, 7)),
            cancellationToken,
            ("release_id", id));

    /// <summary>
    /// Changes a release if it is still at <paramref name="expectedRevision"/>: <paramref name="edit"/> says what becomes of it and
    /// what the audit event shows before and after; the transition and the audit event are written in the same transaction.
    /// </summary>
    private async Task<Result<StoredRelease>> EditReleaseAsync(
        string id,
        long expectedRevision,
        ReleaseEvent transition,
        string action,
        AuditContext who,
        Func<StoredRelease, Result<ReleaseEdit>> edit,
        CancellationToken cancellationToken,
        Func<DbConnection, DbTransaction, StoredRelease, List<ControlPlaneChange>, Task<Failure?>>? before = null,
        Func<DbConnection, DbTransaction, StoredRelease, List<ControlPlaneChange>, Task>? after = null)
    {
        ArgumentNullException.ThrowIfNull(transition);
        ArgumentNullException.ThrowIfNull(who);
        try
        {
            return await ChangesAsync<StoredRelease>(
                async (connection, transaction, changes) =>
                {
                    var found = await QueryAsync(
                        connection,
                        $"SELECT {ReleaseColumns} FROM releases WHERE id = @id{ForUpdate}",
                        ReadRelease,
                        cancellationToken,
                        transaction,
                        ("id", id));
                    if (found.Count == 0)
                    {
                        return Failure.NotFound($"there is no release with id '{id}'");
                    }

                    var current = found[0];
                    if (current.Revision != expectedRevision)
                    {
                        return Failure.Conflict(
                            $"release '{id}' changed meanwhile (now at revision {current.Revision}, expected {expectedRevision}); read it again and retry");
                    }

                    var edited = edit(current);
                    if (edited.Failure is { } failure)
                    {
                        return failure;
                    }

                    var (next, auditBefore, auditAfter) = edited.Value!;
                    if (before is not null && await before(connection, transaction, current, changes) is { } refused)
                    {
                        return refused;
                    }

                    var updated = next with { Revision = expectedRevision + 1, UpdatedAt = Timestamps.Normalize(who.At) };
                    await ExecuteAsync(
                        connection,
                        transaction,
                        """
                        UPDATE releases
                        SET status = @status, active = @active, plan = @plan, state = @state, revision = @revision, updated_at = @updated_at
                        WHERE id = @id
                        """,
                        cancellationToken,
                        ("status", updated.Status),
                        ("active", updated.Active),
                        ("plan", updated.Plan),
                        ("state", updated.State),
                        ("revision", updated.Revision),
                        ("updated_at", ToDb(updated.UpdatedAt)),
                        ("id", id));
                    await InsertReleaseEventAsync(connection, transaction, transition with { ReleaseId = id }, cancellationToken);
                    await InsertAuditAsync(connection, transaction, Audit(who, action, updated.Service, ReleaseTarget(updated), auditBefore, auditAfter), cancellationToken);
                    changes.Insert(0, new ControlPlaneChange(updated.Service, action));
                    Written("release");
                    if (after is not null)
                    {
                        await after(connection, transaction, updated, changes);
                    }

                    return Result<StoredRelease>.Ok(updated);
                },
                cancellationToken);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            // Only reactivating an ended release can break the one-active-release rule.
            return Failure.Conflict($"release '{id}' cannot become active again: its service has another active release");
        }
    }

    /// <summary>Why <paramref name="release"/> cannot be stored: its service has an active release already, or its id is taken; null when neither.</summary>
    private async Task<Failure?> ReleaseConflictAsync(DbConnection connection, DbTransaction? transaction, StoredRelease release, CancellationToken cancellationToken)
    {
        if (release.Active)
        {
            var active = await ScalarAsync(
                connection,
                transaction,
                "SELECT id FROM releases WHERE service = @service AND active = @active",
                cancellationToken,
                ("service", release.Service),
                ("active", true));
            if (active is string activeId)
            {
                return Failure.Conflict(
                    $"service '{release.Service}' already has an active release ('{activeId}'); wait for it to end, or abort it, before starting another");
            }
        }

        return await ScalarAsync(connection, transaction, "SELECT 1 FROM releases WHERE id = @id", cancellationToken, ("id", release.Id)) is null
            ? null
            : Failure.Conflict($"a release with id '{release.Id}' already exists");
    }

    private async Task InsertReleaseEventAsync(DbConnection connection, DbTransaction transaction, ReleaseEvent releaseEvent, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO release_events (release_id, at, from_status, to_status, actor, reason, details)
            VALUES (@release_id, @at, @from_status, @to_status, @actor, @reason, @details)
            """,
            cancellationToken,
            ("release_id", releaseEvent.ReleaseId),
            ("at", ToDb(releaseEvent.At)),
            ("from_status", releaseEvent.From),
            ("to_status", releaseEvent.To),
            ("actor", releaseEvent.Actor),
            ("reason", releaseEvent.Reason),
            ("details", releaseEvent.Details));

    private static string ReleaseTarget(StoredRelease release) => $"{release.Service}/releases/{release.Id}";

    private StoredRelease ReadRelease(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetInt32(2),
        reader.GetString(3),
        reader.GetBoolean(4),
        reader.GetString(5),
        reader.GetString(6),
        reader.GetInt64(7),
        ReadTime(reader, 8),
        ReadTime(reader, 9));

    /// <summary>What a change makes of a release, and what its audit event shows before and after.</summary>
    private sealed record ReleaseEdit(StoredRelease Next, string Before, string After);
}
