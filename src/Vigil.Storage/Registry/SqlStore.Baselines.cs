using System.Data.Common;
using Vigil.Audit;
using Vigil.Monitoring;
using Vigil.Persistence;
using Vigil.Profiles;
using Vigil.Registry;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>Baselines: a profile per feature of a version, stored with its version or on its own, replaced whole, audited.</summary>
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public Task<Result<StoredBaseline>> SaveBaselineAsync(StoredBaseline baseline, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<StoredBaseline>(
            new ControlPlaneChange(baseline.Service, MonitoringAuditActions.BaselineSet),
            (connection, transaction) => WriteBaselineAsync(connection, transaction, baseline, who, cancellationToken),
            cancellationToken);
    }

    /// <summary>Stores (or replaces) a version's baseline with its audit event inside the caller's transaction.</summary>
    private async Task<Result<StoredBaseline>> WriteBaselineAsync(
        DbConnection connection, DbTransaction transaction, StoredBaseline baseline, AuditContext who, CancellationToken cancellationToken)
    {
        if (!await LockServiceAsync(connection, transaction, baseline.Service, cancellationToken))
        {
            return ServiceNotFound(baseline.Service);
        }

        if (await ScalarAsync(
                connection, transaction, "SELECT 1 FROM model_versions WHERE service = @service AND number = @version", cancellationToken,
                ("service", baseline.Service), ("version", baseline.Version)) is null)
        {
            return Failure.NotFound($"service '{baseline.Service}' has no version {baseline.Version}; register it first");
        }

        var before = await QueryAsync(
            connection,
            "SELECT rows, source FROM baselines WHERE service = @service AND version = @version",
            reader => $"{{\"rows\": {reader.GetInt64(0)}, \"source\": {VigilJson.Serialize(reader.GetString(1))}}}",
            cancellationToken,
            transaction,
            ("service", baseline.Service),
            ("version", baseline.Version));
        var keys = new (string, object?)[] { ("service", baseline.Service), ("version", baseline.Version) };
        await ExecuteAsync(connection, transaction, "DELETE FROM baseline_profiles WHERE service = @service AND version = @version", cancellationToken, keys);
        await ExecuteAsync(connection, transaction, "DELETE FROM baselines WHERE service = @service AND version = @version", cancellationToken, keys);
        var stored = baseline with { CreatedAt = Timestamps.Normalize(who.At), CreatedBy = who.Actor };
        await ExecuteAsync(
            connection,
            transaction,
            "INSERT INTO baselines (service, version, rows, source, created_at, created_by) VALUES (@service, @version, @rows, @source, @created_at, @created_by)",
            cancellationToken,
            ("service", stored.Service),
            ("version", stored.Version),
            ("rows", stored.Rows),
            ("source", stored.Source),
            ("created_at", ToDb(stored.CreatedAt)),
            ("created_by", stored.CreatedBy));
        await using (var insert = Command(
            connection,
            transaction,
            "INSERT INTO baseline_profiles (service, version, feature, profile) VALUES (@service, @version, @feature, @profile)",
            ("service", stored.Service),
            ("version", stored.Version),
            ("feature", string.Empty),
            ("profile", Array.Empty<byte>())))
        {
            foreach (var (feature, profile) in stored.Profiles)
            {
                Set(insert, 2, feature);
                Set(insert, 3, profile.Serialize());
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        var after = VigilJson.Serialize(new BaselineAuditView(stored.Rows, stored.Source, [.. stored.Profiles.Keys.Order(StringComparer.Ordinal)]));
        await InsertAuditAsync(
            connection,
            transaction,
            Audit(who, MonitoringAuditActions.BaselineSet, stored.Service, $"{stored.Service}/versions/{stored.Version}/baseline", before.Count == 0 ? null : before[0], after),
            cancellationToken);
        return Result<StoredBaseline>.Ok(stored);
    }

    /// <inheritdoc />
    public async Task<StoredBaseline?> GetBaselineAsync(string service, int version, CancellationToken cancellationToken) =>
        (await ReadBaselinesAsync("WHERE b.service = @service AND b.version = @version", cancellationToken, ("service", service), ("version", version))).FirstOrDefault();

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredBaseline>> ListBaselinesAsync(CancellationToken cancellationToken) =>
        await ReadBaselinesAsync(string.Empty, cancellationToken);

    private async Task<List<StoredBaseline>> ReadBaselinesAsync(string where, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var rows = await QueryAsync(
            $"""
            SELECT b.service, b.version, b.rows, b.source, b.created_at, b.created_by, p.feature, p.profile
            FROM baselines b LEFT JOIN baseline_profiles p ON p.service = b.service AND p.version = b.version
            {where}
            ORDER BY b.service, b.version, p.feature
            """,
            reader => (
                Service: reader.GetString(0), Version: reader.GetInt32(1), Rows: reader.GetInt64(2), Source: reader.GetString(3), At: ReadTime(reader, 4),
                By: reader.GetString(5), Feature: NullableString(reader, 6), Profile: reader.IsDBNull(7) ? null : reader.GetFieldValue<byte[]>(7)),
            cancellationToken,
            parameters);
        var baselines = new List<StoredBaseline>();
        foreach (var group in rows.GroupBy(r => (r.Service, r.Version)))
        {
            var first = group.First();
            var profiles = new Dictionary<string, FeatureProfile>(StringComparer.Ordinal);
            foreach (var row in group.Where(r => r.Feature is not null))
            {
                var profile = FeatureProfile.Deserialize(row.Profile!);
                if (!profile.IsSuccess)
                {
                    throw new StoreException($"the baseline of '{row.Service}' version {row.Version}, feature '{row.Feature}', is corrupt: {profile.Failure!.Message}; upload it again");
                }

                profiles[row.Feature!] = profile.Value!;
            }

            baselines.Add(new StoredBaseline(first.Service, first.Version, first.Rows, first.Source, profiles, first.At, first.By));
        }

        return baselines;
    }

    private sealed record BaselineAuditView(long Rows, string Source, IReadOnlyList<string> Features);
}
