using System.Globalization;
using Vigil.Cli.DataFiles;
using Vigil.Profiles;

namespace Vigil.Cli.Monitoring;

/// <summary>
/// Profiles a baseline data file (training data) per column, as the server profiles live traffic: numeric columns fold
/// into a KLL sketch with moments, text columns into frequent items and a distinct count. A column that mixes numbers
/// and text, a column with no value, or a file without features is an error naming the column.
/// </summary>
internal static class BaselineProfiler
{
    /// <summary>Columns that describe a row rather than a model input; never profiled.</summary>
    public static readonly IReadOnlySet<string> ReservedColumns = new HashSet<string>(StringComparer.Ordinal) { "timestamp", "request_id", "error" };

    /// <summary>Output columns a traffic file may carry, and the output pseudo-feature each becomes.</summary>
    public static readonly IReadOnlyDictionary<string, string> OutputColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["score"] = Vigil.Monitoring.MonitorMetrics.Score,
        ["confidence"] = Vigil.Monitoring.MonitorMetrics.Confidence,
        ["latency_ms"] = Vigil.Monitoring.MonitorMetrics.LatencyMs,
    };

    public static Dictionary<string, FeatureProfile> Profile(DataFile file, Action<string> warn)
    {
        var profiles = new Dictionary<string, FeatureProfile>(StringComparer.Ordinal);
        foreach (var name in file.Header.Where(h => !ReservedColumns.Contains(h)))
        {
            var column = file.Columns[name];
            var key = OutputColumns.GetValueOrDefault(name, name);
            switch (column.Kind)
            {
                case ColumnKind.Empty:
                    throw new DataFileException($"{file.Path}: column '{name}' has no value in any row; fill it or drop the column");
                case ColumnKind.Numeric:
                    var numeric = FeatureProfile.CreateNumeric(seed: 17);
                    numeric.Fold(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(column.Numbers));
                    for (var i = 0; i < column.Nulls; i++)
                    {
                        numeric.AddNull();
                    }

                    if (column.NaNs > 0)
                    {
                        warn($"{file.Path}: column '{name}': {column.NaNs} NaN value(s) counted as nulls");
                    }

                    profiles[key] = numeric;
                    break;
                default:
                    long numbers = 0, total = 0;
                    foreach (var (value, count) in column.Categories)
                    {
                        total += count;
                        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                        {
                            numbers += count;
                        }
                    }

                    if (numbers * 2 >= total && column.FirstText is { } first)
                    {
                        throw new DataFileException(
                            $"{file.Path}: column '{name}' mixes numbers and text (row {first.Row}: '{first.Value}'); fix that row, or quote every value if the column is categorical");
                    }

                    var categorical = FeatureProfile.CreateCategorical();
                    foreach (var (value, count) in column.Categories)
                    {
                        for (var i = 0; i < count; i++)
                        {
                            categorical.Add(value);
                        }
                    }

                    for (var i = 0; i < column.Nulls; i++)
                    {
                        categorical.AddNull();
                    }

                    profiles[key] = categorical;
                    break;
            }
        }

        if (profiles.Count == 0)
        {
            throw new DataFileException($"{file.Path} has no feature column (only {string.Join(", ", file.Header)})");
        }

        return profiles;
    }
}
