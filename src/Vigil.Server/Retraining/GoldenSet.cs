using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using Vigil.Registry;
using Vigil.Retraining;

namespace Vigil.Server.Retraining;

/// <summary>
/// The evaluation's optional fixed golden set: a CSV file with a header, one column per feature of the service (named as in
/// the schema; an empty cell is null) and a <c>label</c> column (1/0 or true/false). Other columns are ignored.
/// </summary>
public static class GoldenSet
{
    /// <summary>Most rows read.</summary>
    public const int MaxRows = 100_000;

    public static Result<TrainingSet> Read(ServiceDefinition service, string path)
    {
        if (!File.Exists(path))
        {
            return Failure.Invalid($"the golden set '{path}' does not exist on the server");
        }

        var rows = new List<LabeledRow>();
        var inputs = new List<InputRow>();
        var labels = new List<bool>();
        try
        {
            using var reader = CsvReader.FromFile(path, CsvReaderOptions.Default with { FieldCountMismatch = CsvFieldCountHandling.Throw });
            reader.ReadHeader();
            var header = reader.Headers.ToList();
            var labelIndex = header.IndexOf("label");
            var missing = service.Inputs.Where(f => !header.Contains(f.Name)).Select(f => f.Name).ToList();
            if (labelIndex < 0 || missing.Count > 0)
            {
                return Failure.Invalid($"the golden set '{path}' needs a label column and one column per feature; missing: {string.Join(", ", missing.Append(labelIndex < 0 ? "label" : null).OfType<string>())}");
            }

            var line = 1;
            while (reader.Read() && rows.Count < MaxRows)
            {
                line++;
                var json = new JsonObject();
                foreach (var feature in service.Inputs)
                {
                    var cell = reader.GetString(header.IndexOf(feature.Name)) ?? "";
                    json[feature.Name] = cell.Length == 0 ? null : feature.Type switch
                    {
                        FeatureType.Number or FeatureType.Integer when double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
                        FeatureType.Boolean when bool.TryParse(cell, out var flag) => JsonValue.Create(flag),
                        FeatureType.Boolean when cell is "1" or "0" => JsonValue.Create(cell == "1"),
                        FeatureType.String or FeatureType.Category => JsonValue.Create(cell),
                        _ => JsonValue.Create(cell),
                    };
                }

                var labelText = reader.GetString(labelIndex) ?? "";
                bool label;
                if (labelText is "1" or "true" or "True")
                {
                    label = true;
                }
                else if (labelText is "0" or "false" or "False")
                {
                    label = false;
                }
                else
                {
                    return Failure.Invalid($"the golden set '{path}', line {line}: label '{labelText}' is not 1/0 or true/false");
                }

                var violations = new List<SchemaViolation>();
                using var document = JsonDocument.Parse(json.ToJsonString());
                var row = InputReader.Read(service, document.RootElement, violations);
                if (violations.Count > 0)
                {
                    return Failure.Invalid($"the golden set '{path}', line {line}: {violations[0].Message}");
                }

                rows.Add(new LabeledRow($"golden-{line}", DateTimeOffset.UnixEpoch, 0, "golden", "{}", json.ToJsonString(), label ? 1 : 0, DateTimeOffset.UnixEpoch));
                inputs.Add(row);
                labels.Add(label);
            }
        }
        catch (Exception ex) when (ex is IOException or CsvFormatException)
        {
            return Failure.Invalid($"the golden set '{path}' is not a readable CSV file: {ex.Message}");
        }

        return rows.Count == 0
            ? Failure.Invalid($"the golden set '{path}' has no rows")
            : Result<TrainingSet>.Ok(new TrainingSet(service, rows, inputs, labels));
    }
}
