using System.CommandLine;
using System.Text.Json.Nodes;
using Vigil.Cli.DataFiles;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil baseline upload|set</c>: a version's training data, or a window of its logged requests, becomes the baseline its traffic is compared with.</summary>
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
            var rows = await ReadAsync(run, run.Get(file)!, run.Get(service)!);
            var result = await run.Client.PutBaselineAsync(run.Get(service)!, run.Get(version), rows, run.CancellationToken);
            Print(run, result, run.Get(json));
            return ExitCodes.Success;
        });
        baseline.Add(upload);
        baseline.Add(Set(context));
        return baseline;
    }

    private static Command Set(CliContext context)
    {
        var service = new Argument<string>("service") { Description = "The service" };
        var version = new Option<int>("--version") { Description = "The model version", HelpName = "n", Required = true };
        var from = Arguments.Time("--from", "Start of the reference window (ISO 8601, or an age such as 7d)", context.Time, allowRelative: true);
        from.Required = true;
        var to = Arguments.Time("--to", "End of the reference window, exclusive (default: now)", context.Time, allowRelative: true);
        var json = CliContext.JsonOption();
        var command = new Command("set", "Make a window of the version's logged production requests its baseline") { service, version, from, to, json };
        context.SetAction(command, async run =>
        {
            var end = run.Get(to) ?? run.Context.Time.GetUtcNow();
            var result = await run.Output.WithProgressAsync(
                $"Profiling the requests of {run.Get(service)} v{run.Get(version)}…",
                () => run.Client.SetBaselineFromWindowAsync(run.Get(service)!, run.Get(version), run.Get(from)!.Value, end, run.CancellationToken));
            Print(run, result, run.Get(json));
            return ExitCodes.Success;
        });
        return command;
    }

    internal static void Print(Invocation run, Vigil.Server.Monitoring.BaselineView result, bool json)
    {
        if (json)
        {
            run.Output.Json(result);
            return;
        }

        run.Output.Line($"Baseline of {result.Service} version {result.Version} ({result.Source}): {result.Rows:N0} rows, features {string.Join(", ", result.Features.Select(f => $"{f.Name} ({f.Kind})"))}.");
    }

    /// <summary>
    /// Reads a training file and checks it before anything is sent or stored: readable, a header, no column mixing numbers and
    /// text, finite values (as <c>vigil backtest</c> checks), and its columns are the service's inputs with matching types.
    /// </summary>
    internal static async Task<JsonArray> ReadAsync(Invocation run, string path, string service)
    {
        DataFile data;
        try
        {
            data = await DataFileReader.ReadAsync(path, null, run.CancellationToken);
            Monitoring.BaselineProfiler.Profile(data, run.Output.Warn);
        }
        catch (DataFileException ex)
        {
            throw new CliFailureException(ex.Message);
        }

        var inputs = (await run.Client.GetServiceAsync(service, run.CancellationToken)).Inputs;
        var columns = data.Header.Where(h => !Monitoring.BaselineProfiler.ReservedColumns.Contains(h)).ToList();
        var problems = new List<string>();
        problems.AddRange(columns.Where(c => inputs.All(i => i.Name != c)).Select(c => $"column '{c}' is not an input of '{service}'"));
        problems.AddRange(inputs.Where(i => !columns.Contains(i.Name)).Select(i => $"input '{i.Name}' has no column"));
        foreach (var input in inputs.Where(i => i.Type is Vigil.Registry.FeatureType.Number or Vigil.Registry.FeatureType.Integer && columns.Contains(i.Name)))
        {
            if (data.Columns[input.Name].Kind != ColumnKind.Numeric && data.Columns[input.Name].Categories.Count > 0)
            {
                problems.Add($"column '{input.Name}' holds text, but input '{input.Name}' is a {input.Type.ToString().ToLowerInvariant()}");
            }
        }

        problems.AddRange(columns.Where(c => data.Columns[c].NaNs > 0).Select(c =>
            $"column '{c}' has {data.Columns[c].NaNs} NaN value(s); a baseline needs numbers or empty cells (empty = null)"));
        if (problems.Count > 0)
        {
            throw new CliFailureException(
                $"{path} cannot be the baseline of '{service}' (inputs {string.Join(", ", inputs.Select(i => $"{i.Name}:{i.Type.ToString().ToLowerInvariant()}"))}): {string.Join("; ", problems)}; nothing was stored",
                problems);
        }

        return Rows(data);
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
