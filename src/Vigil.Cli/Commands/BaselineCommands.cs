using System.CommandLine;
using System.Text.Json.Nodes;
using Vigil.Cli.DataFiles;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil baseline upload</c>: a version's training data becomes the baseline its traffic is compared with.</summary>
internal static class BaselineCommands
{
    /// <summary>The most rows sent; larger files are sampled evenly.</summary>
    public const int MaxRows = 100_000;

    public static Command Create(CliContext context)
    {
        var baseline = new Command("baseline", "The reference data each version's traffic is compared with");
        var service = new Argument<string>("service") { Description = "The service" };
        var version = new Option<int>("--version") { Description = "The model version", HelpName = "n", Required = true };
        var file = new Option<string>("--file", "-f") { Description = "The training data (.csv or .parquet)", HelpName = "train.csv", Required = true };
        var json = CliContext.JsonOption();
        var upload = new Command("upload", "Profile a training file per feature and store it as the version's baseline") { service, version, file, json };
        context.SetAction(upload, async run =>
        {
            DataFile data;
            try
            {
                data = await DataFileReader.ReadAsync(run.Get(file)!, null, run.CancellationToken);
                Monitoring.BaselineProfiler.Profile(data, run.Output.Warn); // the same checks as backtest, before anything is sent
            }
            catch (DataFileException ex)
            {
                throw new CliFailureException(ex.Message);
            }

            var rows = Rows(data);
            var result = await run.Client.PutBaselineAsync(run.Get(service)!, run.Get(version), rows, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(result);
                return ExitCodes.Success;
            }

            run.Output.Line($"Baseline of {result.Service} version {result.Version}: {result.Rows:N0} rows, features {string.Join(", ", result.Features.Select(f => $"{f.Name} ({f.Kind})"))}.");
            return ExitCodes.Success;
        });
        baseline.Add(upload);
        return baseline;
    }

    /// <summary>The file's rows as JSON objects, rebuilt column by column (sampled evenly above <see cref="MaxRows"/>).</summary>
    private static JsonArray Rows(DataFile data)
    {
        var names = data.Header.Where(h => !Monitoring.BaselineProfiler.ReservedColumns.Contains(h)).ToArray();
        var values = names.ToDictionary(n => n, n => Expand(data.Columns[n]), StringComparer.Ordinal);
        var count = values.Values.Max(v => v.Count);
        var step = Math.Max(1, (count + MaxRows - 1) / MaxRows);
        var rows = new JsonArray();
        for (var i = 0; i < count; i += step)
        {
            var row = new JsonObject();
            foreach (var name in names)
            {
                row[name] = i < values[name].Count ? values[name][i]?.DeepClone() : null;
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>A column's values in some order (numbers, then nulls; categories by count): profiles do not depend on row order.</summary>
    private static List<JsonNode?> Expand(DataFileColumn column)
    {
        var list = new List<JsonNode?>();
        if (column.Kind == ColumnKind.Numeric)
        {
            list.AddRange(column.Numbers.Select(n => (JsonNode?)JsonValue.Create(n)));
        }
        else
        {
            foreach (var (value, count) in column.Categories)
            {
                list.AddRange(Enumerable.Repeat<JsonNode?>(JsonValue.Create(value), (int)count));
            }
        }

        list.AddRange(Enumerable.Repeat<JsonNode?>(null, (int)column.Nulls));
        return list;
    }
}
