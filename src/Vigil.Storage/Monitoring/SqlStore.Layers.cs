using System.Data.Common;
using Vigil.Audit;
using Vigil.Monitoring.Layers;
using Vigil.Persistence;
using Vigil.Storage.Dialects;

namespace Vigil.Storage;

/// <summary>Monitoring settings per service and business metrics (docs/monitoring.md).</summary>
public abstract partial class SqlStore
{
    private const string SettingsColumns = "service, definition, revision, updated_at";

    /// <inheritdoc />
    public async Task<StoredMonitoringSettings?> GetMonitoringSettingsAsync(string service, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {SettingsColumns} FROM monitoring_settings WHERE service = @service", ReadSettings, cancellationToken, ("service", service));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredMonitoringSettings>> ListMonitoringSettingsAsync(CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT {SettingsColumns} FROM monitoring_settings ORDER BY service", ReadSettings, cancellationToken);

    /// <inheritdoc />
    public Task<Result<StoredMonitoringSettings>> PutMonitoringSettingsAsync(string service, MonitoringSettings settings, AuditContext who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(who);
        return ChangeAsync<StoredMonitoringSettings>(
            new ControlPlaneChange(service, LayerActions.SettingsSet),
            async (connection, transaction) =>
            {
                if (!await LockServiceAsync(connection, transaction, service, cancellationToken))
                {
                    return ServiceNotFound(service);
                }

                var before = await QueryAsync(
                    connection,
                    $"SELECT {SettingsColumns} FROM monitoring_settings WHERE service = @service",
                    ReadSettings,
                    cancellationToken,
                    transaction,
                    ("service", service));
                var definition = VigilJson.Serialize(settings);
                var (revision, at) = await PutServiceDefinitionAsync(
                    connection, transaction, "monitoring_settings", service, definition, before.Count == 0 ? null : (before[0].Revision, VigilJson.Serialize(before[0].Settings)), LayerActions.SettingsSet, $"{service}/monitoring", who, cancellationToken);
                return Result<StoredMonitoringSettings>.Ok(new StoredMonitoringSettings(service, settings, revision, at));
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<Result<int>> AppendBusinessMetricsAsync(IReadOnlyList<BusinessMetricPoint> points, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0)
        {
            return Task.FromResult(Result<int>.Ok(0));
        }

        return InTransactionAsync(
            async (connection, transaction) =>
            {
                foreach (var service in points.Select(p => p.Service).OfType<string>().Distinct(StringComparer.Ordinal))
                {
                    if (await ScalarAsync(connection, transaction, "SELECT 1 FROM services WHERE name = @name", cancellationToken, ("name", service)) is null)
                    {
                        return Failure.NotFound($"there is no service named '{service}'; nothing of the batch was stored");
                    }
                }

                await using var command = Command(
                    connection,
                    transaction,
                    """
                    INSERT INTO business_metrics (name, value, at, service, version, arm, segment)
                    VALUES (@name, @value, @at, @service, @version, @arm, @segment)
                    """,
                    ("name", null),
                    ("value", null),
                    ("at", null),
                    ("service", null),
                    ("version", null),
                    ("arm", null),
                    ("segment", null));
                foreach (var point in points)
                {
                    Set(command, 0, point.Name);
                    Set(command, 1, point.Value);
                    Set(command, 2, ToDb(Timestamps.Normalize(point.Timestamp)));
                    Set(command, 3, point.Service);
                    Set(command, 4, point.Version);
                    Set(command, 5, point.Arm);
                    Set(command, 6, point.Segment);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                return Result<int>.Ok(points.Count);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<BusinessMetricPoint>> QueryBusinessMetricsAsync(string? name, string? service, DateTimeOffset? from, DateTimeOffset? to, int limit, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        var parameters = new List<(string, object?)>();
        if (name is not null)
        {
            where.Add("name = @name");
            parameters.Add(("name", name));
        }

        if (service is not null)
        {
            where.Add("service = @service");
            parameters.Add(("service", service));
        }

        if (from is { } f)
        {
            where.Add("at >= @from");
            parameters.Add(("from", ToDb(f)));
        }

        if (to is { } t)
        {
            where.Add("at < @to");
            parameters.Add(("to", ToDb(t)));
        }

        parameters.Add(("limit", limit));
        var filter = where.Count == 0 ? string.Empty : "WHERE " + string.Join(" AND ", where);
        return await QueryAsync(
            $"SELECT name, value, at, service, version, arm, segment FROM business_metrics {filter} ORDER BY at, id LIMIT @limit",
            reader => new BusinessMetricPoint(
                reader.GetString(0),
                reader.GetDouble(1),
                ReadTime(reader, 2),
                NullableString(reader, 3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                NullableString(reader, 5),
                NullableString(reader, 6)),
            cancellationToken,
            [.. parameters]);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScoredPrediction>> GetScoredPredictionsAsync(string service, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(
            """
            SELECT p.at, p.version, p.arm, p.attributes, p.outputs, o.numeric
            FROM predictions p
            LEFT JOIN outcomes o ON o.request_id = p.request_id AND o.name = 'label'
            WHERE p.service = @service AND p.at >= @from AND p.at < @to AND p.outputs IS NOT NULL AND p.error IS NULL AND p.version > 0
            ORDER BY p.at DESC, p.request_id
            LIMIT @limit
            """,
            reader => new ScoredPrediction(
                ReadTime(reader, 0),
                reader.GetInt32(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetDouble(5)),
            cancellationToken,
            ("service", service),
            ("from", ToDb(from)),
            ("to", ToDb(to)),
            ("limit", Math.Clamp(limit, 1, 1_000_000)));

    private StoredMonitoringSettings ReadSettings(DbDataReader reader) => new(
        reader.GetString(0),
        VigilJson.Deserialize<MonitoringSettings>(reader.GetString(1)) ?? MonitoringSettings.Default,
        reader.GetInt64(2),
        ReadTime(reader, 3));
}
