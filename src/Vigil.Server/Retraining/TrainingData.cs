using System.Globalization;
using System.Text.Json;
using CsvHelper;
using Parquet;
using Parquet.Schema;
using Vigil.Persistence;
using Vigil.Registry;
using Vigil.Retraining;

namespace Vigil.Server.Retraining;

/// <summary>Which labelled rows an export holds: all of them, the training part, or the evaluation holdout.</summary>
public enum DataPart
{
    All,
    Train,
    Holdout,
}

/// <summary>Labelled production rows read against the service's schema: what trainers get and what the evaluation replays.</summary>
/// <param name="Service">The service.</param>
/// <param name="Rows">The stored rows, newest first.</param>
/// <param name="Inputs">Each row's inputs in schema order.</param>
/// <param name="Labels">Each row's label (numeric value ≥ 0.5 is positive).</param>
public sealed record TrainingSet(ServiceDefinition Service, IReadOnlyList<LabeledRow> Rows, IReadOnlyList<InputRow> Inputs, IReadOnlyList<bool> Labels)
{
    public DateTimeOffset? From => Rows.Count == 0 ? null : Rows.Min(r => r.At);

    public DateTimeOffset? To => Rows.Count == 0 ? null : Rows.Max(r => r.At);

    public int Positives => Labels.Count(l => l);
}

/// <summary>
/// The one export of labelled production data (docs/retraining.md, "Training data"): <c>vigil data export</c>, the
/// <c>training-data</c> endpoint and every trainer read it. A row is a served (champion or canary) request without error
/// that has a numeric outcome named as the policy's label; the holdout is chosen by hash of the request id, so a row is
/// always on the same side.
/// </summary>
public static class TrainingData
{
    /// <summary>Most rows one export reads. Default 1,000,000.</summary>
    public const int MaxRows = 1_000_000;

    public static async Task<TrainingSet> LoadAsync(
        IVigilStore store, ServiceDefinition service, string label, EvaluationGate gate, DataPart part, DateTimeOffset? since, DateTimeOffset? until, int limit, CancellationToken ct)
    {
        var rows = await store.GetLabeledRowsAsync(service.Name, label, since, until, Math.Min(limit, MaxRows), ct);
        var kept = part switch
        {
            DataPart.Train => rows.Where(r => !gate.InHoldout(r.RequestId)).ToList(),
            DataPart.Holdout => rows.Where(r => gate.InHoldout(r.RequestId)).ToList(),
            _ => rows.ToList(),
        };
        var inputs = new List<InputRow>(kept.Count);
        var violations = new List<SchemaViolation>();
        foreach (var row in kept)
        {
            using var document = JsonDocument.Parse(row.Inputs);
            inputs.Add(InputReader.Read(service, document.RootElement, violations));
        }

        return new TrainingSet(service, kept, inputs, [.. kept.Select(r => r.Label >= 0.5)]);
    }

    /// <summary>The message for an export with no rows.</summary>
    public static string NoData(string service, string label, DateTimeOffset? since) =>
        $"service '{service}' has no labelled data{(since is { } s ? $" since {s:u}" : "")}: no served prediction has a numeric '{label}' outcome. " +
        $"Send labels with POST /v1/feedback (outcome '{label}'), or set the policy's label to the outcome you record.";

    /// <summary>The columns: request_id, at, version, arm, one per feature (in schema order), attributes (JSON), label.</summary>
    public static IReadOnlyList<string> Columns(ServiceDefinition service) =>
        ["request_id", "at", "version", "arm", .. service.Inputs.Select(f => f.Name), "attributes", "label"];

    public static async Task WriteCsvAsync(TrainingSet set, Stream stream, CancellationToken ct)
    {
        await using var csv = CsvWriter.Create(stream, CsvWriterOptions.Default with { NewLine = "\n" }, true);
        await csv.WriteRecordAsync([.. Columns(set.Service)], ct);
        var width = set.Service.Inputs.Count + 6;
        for (var i = 0; i < set.Rows.Count; i++)
        {
            var row = set.Rows[i];
            var fields = new string[width];
            fields[0] = row.RequestId;
            fields[1] = row.At.ToString("O", CultureInfo.InvariantCulture);
            fields[2] = row.Version.ToString(CultureInfo.InvariantCulture);
            fields[3] = row.Arm;
            var values = set.Inputs[i].Values;
            for (var f = 0; f < values.Length; f++)
            {
                fields[4 + f] = values[f].IsNull ? "" : values[f].ToString();
            }

            fields[^2] = row.Attributes;
            fields[^1] = set.Labels[i] ? "1" : "0";
            await csv.WriteRecordAsync(fields, ct);
        }

        await csv.FlushAsync(ct);
    }

    public static async Task WriteParquetAsync(TrainingSet set, Stream stream, CancellationToken ct)
    {
        var features = set.Service.Inputs;
        var fields = new List<DataField>
        {
            new DataField<string>("request_id"),
            new DataField<DateTime>("at"),
            new DataField<int>("version"),
            new DataField<string>("arm"),
        };
        foreach (var feature in features)
        {
            fields.Add(feature.Type switch
            {
                FeatureType.Number or FeatureType.Integer => new DataField<double?>(feature.Name),
                FeatureType.Boolean => new DataField<bool?>(feature.Name),
                _ => new DataField<string>(feature.Name, true),
            });
        }

        fields.Add(new DataField<string>("attributes"));
        fields.Add(new DataField<int>("label"));
        var schema = new ParquetSchema(fields.Cast<Field>().ToArray());
        await using var writer = await ParquetWriter.CreateAsync(schema, stream, cancellationToken: ct);
        using var group = writer.CreateRowGroup();
        var n = set.Rows.Count;
        await group.WriteAsync(fields[0], set.Rows.Select(r => r.RequestId).ToArray());
        await group.WriteAsync<DateTime>(fields[1], set.Rows.Select(r => r.At.UtcDateTime).ToArray(), null, null, ct);
        await group.WriteAsync<int>(fields[2], set.Rows.Select(r => r.Version).ToArray(), null, null, ct);
        await group.WriteAsync(fields[3], set.Rows.Select(r => r.Arm).ToArray());
        for (var f = 0; f < features.Count; f++)
        {
            var field = fields[4 + f];
            var values = Enumerable.Range(0, n).Select(i => set.Inputs[i].Values[f]).ToList();
            switch (features[f].Type)
            {
                case FeatureType.Number or FeatureType.Integer:
                    await group.WriteAsync<double>(field, values.Select(v => v.IsNull ? (double?)null : v.Number).ToArray(), null, null, ct);
                    break;
                case FeatureType.Boolean:
                    await group.WriteAsync<bool>(field, values.Select(v => v.IsNull ? (bool?)null : v.Number != 0).ToArray(), null, null, ct);
                    break;
                default:
                    await group.WriteAsync(field, values.Select(v => v.IsNull ? null! : v.ToString()).ToArray());
                    break;
            }
        }

        await group.WriteAsync(fields[^2], set.Rows.Select(r => r.Attributes).ToArray());
        await group.WriteAsync<int>(fields[^1], set.Labels.Select(l => l ? 1 : 0).ToArray(), null, null, ct);
    }

    /// <summary>Writes <paramref name="set"/> to <paramref name="path"/> as <paramref name="format"/> (csv or parquet).</summary>
    public static async Task WriteFileAsync(TrainingSet set, string path, string format, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using var file = File.Create(path);
        if (format == "parquet")
        {
            await WriteParquetAsync(set, file, ct);
        }
        else
        {
            await WriteCsvAsync(set, file, ct);
        }
    }
}
