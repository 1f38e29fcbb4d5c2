using Vigil.Predictions;
using Vigil.Releases;

namespace Vigil.Storage;

/// <summary>Predictions and outcomes: batches of records, outcomes joined by request id, and the counts read from them.</summary>
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public abstract Task WritePredictionsAsync(IReadOnlyList<PredictionRecord> batch, CancellationToken cancellationToken);

    /// <inheritdoc />
    public async Task<PredictionRecord?> GetPredictionAsync(string requestId, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(
            $"SELECT {PredictionColumns} FROM predictions WHERE request_id = @request_id",
            reader => new PredictionRecord(
                reader.GetString(0),
                ReadTime(reader, 1),
                reader.GetString(2),
                reader.GetInt32(3),
                reader.GetString(4),
                NullableString(reader, 5),
                reader.GetString(6),
                reader.GetString(7),
                NullableString(reader, 8),
                reader.GetDouble(9),
                NullableString(reader, 10),
                NullableString(reader, 11),
                NullableString(reader, 12),
                NullableString(reader, 13)),
            cancellationToken,
            ("request_id", requestId));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public Task<FeedbackResult> RecordOutcomesAsync(IReadOnlyList<FeedbackOutcome> outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
        {
            return Task.FromResult(new FeedbackResult(0, 0));
        }

        return InTransactionAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(
                    connection,
                    transaction,
                    """
                    INSERT INTO outcomes (request_id, name, value, numeric, received_at)
                    VALUES (@request_id, @name, @value, @numeric, @received_at)
                    ON CONFLICT (request_id, name) DO NOTHING
                    """,
                    ("request_id", null),
                    ("name", null),
                    ("value", null),
                    ("numeric", null),
                    ("received_at", null));
                var stored = 0;
                foreach (var outcome in outcomes)
                {
                    Set(command, 0, outcome.RequestId);
                    Set(command, 1, outcome.Name);
                    Set(command, 2, outcome.Value);
                    Set(command, 3, outcome.Numeric);
                    Set(command, 4, ToDb(outcome.ReceivedAt));
                    stored += await command.ExecuteNonQueryAsync(cancellationToken);
                }

                return new FeedbackResult(stored, outcomes.Count - stored);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FeedbackOutcome>> GetOutcomesAsync(string requestId, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT request_id, name, value, numeric, received_at FROM outcomes WHERE request_id = @request_id ORDER BY name",
            reader => new FeedbackOutcome(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetDouble(3),
                ReadTime(reader, 4)),
            cancellationToken,
            ("request_id", requestId));

    /// <inheritdoc />
    public async Task<IReadOnlyList<TrafficSummary>> GetTrafficAsync(string service, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var window = since is null ? "" : "AND p.at >= @since";
        (string, object?)[] parameters = since is { } s ? [("service", service), ("since", ToDb(s))] : [("service", service)];
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var outcomes = await QueryAsync(
            connection,
            $"""
            SELECT p.version, p.arm, o.name, COUNT(*), AVG(o.numeric)
            FROM predictions p
            JOIN outcomes o ON o.request_id = p.request_id
            WHERE p.service = @service {window}
            GROUP BY p.version, p.arm, o.name
            ORDER BY p.version, p.arm, o.name
            """,
            reader => (Version: reader.GetInt32(0), Arm: reader.GetString(1),
                Summary: new OutcomeSummary(reader.GetString(2), reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetDouble(4))),
            cancellationToken,
            parameters);
        return await QueryAsync(
            connection,
            $"""
            SELECT p.version, p.arm, COUNT(*), COUNT(p.error), AVG(p.latency_ms), MAX(p.latency_ms)
            FROM predictions p
            WHERE p.service = @service {window}
            GROUP BY p.version, p.arm
            ORDER BY p.version, p.arm
            """,
            reader =>
            {
                var version = reader.GetInt32(0);
                var arm = reader.GetString(1);
                return new TrafficSummary(
                    service,
                    version,
                    arm,
                    reader.GetInt64(2),
                    reader.GetInt64(3),
                    reader.GetDouble(4),
                    reader.GetDouble(5),
                    [.. outcomes.Where(o => o.Version == version && o.Arm == arm).Select(o => o.Summary)]);
            },
            cancellationToken,
            parameters);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ArmWindowCounts>> GetArmCountsAsync(ArmCountsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parameters = new List<(string, object?)>
        {
            ("service", query.Service),
            ("from", ToDb(query.From)),
            ("to", ToDb(query.To)),
            ("matured_before", ToDb(query.MaturedBefore)),
        };
        var segment = "NULL";
        if (query.SegmentAttribute is { } attribute)
        {
            // The name travels as a parameter; it is also held to a plain identifier so that no dialect's JSON path syntax can be smuggled in.
            if (!IsAttributeName(attribute))
            {
                throw new ArgumentException(
                    $"'{attribute}' is not a valid segment attribute: use letters, digits, '_' and '-' only",
                    nameof(query));
            }

            segment = JsonAttributeText("p.attributes", "@segment");
            parameters.Add(("segment", attribute));
        }

        var overLatency = "CAST(0 AS BIGINT)";
        if (query.LatencyThresholdMs is { } threshold)
        {
            overLatency = "COUNT(CASE WHEN p.latency_ms > @threshold THEN 1 END)";
            parameters.Add(("threshold", threshold));
        }

        const string Window = "p.service = @service AND p.at >= @from AND p.at < @to";
        await using var connection = await OpenConnectionAsync(cancellationToken);
        var outcomes = await QueryAsync(
            connection,
            $"""
            SELECT p.version, p.arm, {segment}, o.name, COUNT(*), COALESCE(SUM(o.numeric), 0.0)
            FROM predictions p
            JOIN outcomes o ON o.request_id = p.request_id
            WHERE {Window} AND p.at < @matured_before
            GROUP BY 1, 2, 3, 4
            """,
            reader => (Arm: (reader.GetInt32(0), reader.GetString(1), NullableString(reader, 2)),
                Count: new OutcomeCount(reader.GetString(3), reader.GetInt64(4), reader.GetDouble(5))),
            cancellationToken,
            [.. parameters]);

        // accuracy: of the matured predictions with a 'label' outcome, those whose output label is the same value
        // (true/false and 1/0 are the same label). Added to an 'accuracy' outcome the caller may also send as 1/0.
        var labelText = Booleans(JsonAttributeText("p.outputs", "'label'"));
        var outcomeText = Booleans(JsonScalarText("o.value"));
        var labelled = await QueryAsync(
            connection,
            $"""
            SELECT p.version, p.arm, {segment}, COUNT(*), COUNT(CASE WHEN {labelText} = {outcomeText} THEN 1 END)
            FROM predictions p
            JOIN outcomes o ON o.request_id = p.request_id AND o.name = 'label'
            WHERE {Window} AND p.at < @matured_before AND p.outputs IS NOT NULL
            GROUP BY 1, 2, 3
            """,
            reader => (Arm: (reader.GetInt32(0), reader.GetString(1), NullableString(reader, 2)),
                Count: new OutcomeCount(ReleaseMetrics.Accuracy, reader.GetInt64(3), reader.GetInt64(4))),
            cancellationToken,
            [.. parameters]);
        var outcomesByArm = outcomes.Concat(labelled)
            .GroupBy(o => (o.Arm, o.Count.Name))
            .Select(g => (g.Key.Arm, Count: new OutcomeCount(g.Key.Name, g.Sum(o => o.Count.Count), g.Sum(o => o.Count.Sum))))
            .ToLookup(o => o.Arm, o => o.Count);
        var counts = await QueryAsync(
            connection,
            $"""
            SELECT p.version, p.arm, {segment}, COUNT(*), COUNT(p.error), {overLatency},
                   COUNT(CASE WHEN p.at < @matured_before THEN 1 END)
            FROM predictions p
            WHERE {Window}
            GROUP BY 1, 2, 3
            """,
            reader =>
            {
                var arm = (reader.GetInt32(0), reader.GetString(1), NullableString(reader, 2));
                return new ArmWindowCounts(
                    arm.Item1,
                    arm.Item2,
                    arm.Item3,
                    reader.GetInt64(3),
                    reader.GetInt64(4),
                    reader.GetInt64(5),
                    reader.GetInt64(6),
                    [.. outcomesByArm[arm].OrderBy(o => o.Name, StringComparer.Ordinal)]);
            },
            cancellationToken,
            [.. parameters]);

        // Ordered here rather than in SQL, so both databases return the same order whatever their collation and NULL placement.
        return [.. counts.OrderBy(c => c.Version).ThenBy(c => c.Arm, StringComparer.Ordinal).ThenBy(c => c.Segment, StringComparer.Ordinal)];
    }

    /// <summary>The same text for JSON's true/false and 1/0, so a label outcome of 1 matches an output label of true.</summary>
    private static string Booleans(string text) => $"(CASE {text} WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE {text} END)";

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> FindUnknownRequestIdsAsync(IReadOnlyCollection<string> requestIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestIds);
        const int Chunk = 500;
        var distinct = requestIds.Distinct(StringComparer.Ordinal).ToList();
        var known = new HashSet<string>(StringComparer.Ordinal);
        for (var start = 0; start < distinct.Count; start += Chunk)
        {
            var chunk = distinct.Skip(start).Take(Chunk).ToList();
            var parameters = chunk.Select((id, i) => ("id" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), (object?)id)).ToArray();
            var found = await QueryAsync(
                $"SELECT request_id FROM predictions WHERE request_id IN ({string.Join(", ", parameters.Select(p => "@" + p.Item1))})",
                reader => reader.GetString(0),
                cancellationToken,
                parameters);
            known.UnionWith(found);
        }

        return distinct.Where(id => !known.Contains(id)).ToList();
    }

    /// <inheritdoc />
    public async Task<long> CountOrphanOutcomesAsync(CancellationToken cancellationToken)
    {
        var counts = await QueryAsync(
            """
            SELECT COUNT(*)
            FROM outcomes o
            WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.request_id = o.request_id)
            """,
            reader => reader.GetInt64(0),
            cancellationToken);
        return counts[0];
    }

    /// <summary>Whether <paramref name="name"/> is a request attribute's name: letters, digits, <c>_</c> and <c>-</c>.</summary>
    private static bool IsAttributeName(string name) =>
        name.Length is > 0 and <= 128 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
