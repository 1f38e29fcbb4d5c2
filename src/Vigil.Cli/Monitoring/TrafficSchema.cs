using System.Text;
using Vigil.Cli.DataFiles;
using Vigil.Monitoring;
using Vigil.Profiles;
using Vigil.Registry;

namespace Vigil.Cli.Monitoring;

/// <summary>
/// What a backtest checks each traffic value against: the declared schema (<c>--schema</c>, the service file of
/// <c>vigil services create -f</c>: types, nullable, min/max, categories) where there is one, else the schema inferred
/// from the baseline (numeric or categorical, every feature nullable, no ranges). The rules are the gateway's
/// (<see cref="ViolationKind"/>): a missing or null non-nullable feature, a value of the wrong type (text in a number,
/// a fraction in an integer, a number in a category), a number outside [min, max] and a category outside the declared
/// ones each count one violation of the feature; values the model would still be called with are profiled too.
/// </summary>
internal sealed class TrafficSchema
{
    private readonly Dictionary<string, Column> _byName;

    private TrafficSchema(Dictionary<string, Column> byName)
    {
        _byName = byName;
        Inputs = [.. byName.Values.Where(c => !c.IsOutput).Distinct()];
    }

    /// <summary>One monitored column: the feature (or output pseudo-feature) it folds into and its rules.</summary>
    public sealed record Column(string Feature, bool Numeric, FeatureSpec? Spec, bool IsOutput);

    /// <summary>The input features every row should carry.</summary>
    public IReadOnlyList<Column> Inputs { get; }

    /// <summary>Builds the schema from the baseline's profiles and, when given, the declared features.</summary>
    public static TrafficSchema Create(IReadOnlyDictionary<string, FeatureProfile> baseline, IReadOnlyList<FeatureSpec>? declared, string? schemaPath, Action<string> warn)
    {
        var byName = new Dictionary<string, Column>(StringComparer.Ordinal);
        var specs = declared?.ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var (feature, profile) in baseline)
        {
            var output = feature.StartsWith('@');
            var spec = output ? null : specs?.GetValueOrDefault(feature);
            var numeric = profile.Kind == ProfileKind.Numeric;
            if (spec is not null && spec.IsNumeric != numeric)
            {
                throw new DataFileException(
                    $"{schemaPath}: feature '{feature}' is declared {spec.Type.ToString().ToLowerInvariant()} but the baseline's column is {(numeric ? "numeric" : "text")}; fix the schema or the baseline");
            }

            if (specs is not null && !output && spec is null)
            {
                warn($"{schemaPath}: baseline column '{feature}' is not declared in the schema; monitored without schema rules");
            }

            var column = new Column(feature, numeric, spec, output);
            byName[output ? BaselineProfiler.OutputColumns.FirstOrDefault(o => o.Value == feature).Key ?? feature : feature] = column;
        }

        foreach (var spec in declared ?? [])
        {
            if (!byName.ContainsKey(spec.Name))
            {
                warn($"{schemaPath}: feature '{spec.Name}' is not in the baseline: its schema is checked, its drift cannot be");
                byName[spec.Name] = new Column(spec.Name, spec.IsNumeric, spec, IsOutput: false);
            }
        }

        return new TrafficSchema(byName);
    }

    /// <summary>The column a file's column (or JSON property) named <paramref name="name"/> folds into; null when not monitored.</summary>
    public Column? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The input features the file has no column for (warned once); every row counts them as absent.</summary>
    public IReadOnlyList<Column> MissingFrom(IEnumerable<Column> present, string path, Action<string> warn)
    {
        var have = present.ToHashSet();
        var missing = Inputs.Where(c => !have.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            warn($"{path}: feature(s) {string.Join(", ", missing.Select(c => c.Feature))} missing from the traffic; each row counts them as absent");
        }

        return missing;
    }

    public static void Null(WindowProfiles window, Column column)
    {
        Profile(window, column).AddNull();
        if (column.Spec is { Nullable: false })
        {
            window.AddViolation(column.Feature);
        }
    }

    /// <summary>A feature the row does not carry: a null when the schema allows it, else a violation (missing).</summary>
    public static void Absent(WindowProfiles window, Column column)
    {
        if (column.Spec is { Nullable: true })
        {
            Profile(window, column).AddNull();
        }
        else
        {
            window.AddViolation(column.Feature);
        }
    }

    /// <summary>A number; <paramref name="raw"/> is its text in a CSV cell (a category may look like a number there), empty otherwise.</summary>
    public static void Number(WindowProfiles window, Column column, double value, ReadOnlySpan<byte> raw)
    {
        if (!column.Numeric)
        {
            if (raw.IsEmpty)
            {
                WrongType(window, column);
            }
            else
            {
                Text(window, column, Encoding.UTF8.GetString(raw));
            }

            return;
        }

        if (column.Spec is { Type: FeatureType.Integer } && value != Math.Floor(value))
        {
            WrongType(window, column);
            return;
        }

        window.Numeric(column.Feature).Add(value);
        if (column.Spec is { } spec && ((spec.Min is { } min && value < min) || (spec.Max is { } max && value > max)))
        {
            window.AddViolation(column.Feature);
        }
    }

    public static void Text(WindowProfiles window, Column column, string value)
    {
        if (column.Numeric)
        {
            WrongType(window, column);
            return;
        }

        if (column.Spec is { Type: FeatureType.Boolean } && value is not ("true" or "false"))
        {
            WrongType(window, column);
            return;
        }

        window.Categorical(column.Feature).Add(value);
        if (column.Spec is { Categories: { Count: > 0 } categories } && !categories.Contains(value, StringComparer.Ordinal))
        {
            window.AddViolation(column.Feature);
        }
    }

    public static void Boolean(WindowProfiles window, Column column, bool value)
    {
        if (column.Numeric || column.Spec is { Type: not FeatureType.Boolean })
        {
            WrongType(window, column);
            return;
        }

        window.Categorical(column.Feature).Add(value ? "true" : "false");
    }

    public static void WrongType(WindowProfiles window, Column column)
    {
        Profile(window, column).AddTypeError();
        window.AddViolation(column.Feature);
    }

    private static FeatureProfile Profile(WindowProfiles window, Column column) =>
        column.Numeric ? window.Numeric(column.Feature) : window.Categorical(column.Feature);
}
