using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Monitoring.Layers;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil services monitoring</c> (a service's input policy, segments, refusal patterns, outcome window) and
/// <c>vigil metrics push|list</c> (business metrics): docs/monitoring.md.
/// </summary>
internal static class LayerCommands
{
    /// <summary>The columns a business-metrics CSV file may have.</summary>
    private static readonly string[] CsvColumns = ["name", "value", "timestamp", "service", "version", "arm", "segment"];

    /// <summary><c>vigil services monitoring SERVICE [--input-policy …] [--segment …] [--refusal-pattern …] [--outcome-window …]</c>.</summary>
    public static Command ServiceMonitoring(CliContext context)
    {
        var service = new Argument<string>("service") { Description = "The service's name" };
        var policy = new Option<string?>("--input-policy") { Description = "record (serve and count schema violations) or reject (422 on any violation)", HelpName = "record|reject" };
        policy.AcceptOnlyFromAmong("record", "reject");
        var segments = new Option<string[]>("--segment") { Description = "A request attribute that splits windows into segments, repeatable (replaces the list)", HelpName = "attribute", Arity = ArgumentArity.ZeroOrMore };
        var clearSegments = new Option<bool>("--no-segments") { Description = "Remove every segment attribute" };
        var refusals = new Option<string[]>("--refusal-pattern") { Description = "Text that marks an output as a refusal, repeatable (replaces the list)", HelpName = "text", Arity = ArgumentArity.ZeroOrMore };
        var outcomeWindow = new Option<double?>("--outcome-window-hours") { Description = "Hours after a prediction when its outcome is final", HelpName = "hours" };
        var json = CliContext.JsonOption();
        var command = new Command("monitoring", "Show or change a service's monitoring settings: input policy, segments, refusal patterns, outcome window")
        {
            service, policy, segments, clearSegments, refusals, outcomeWindow, json,
        };
        context.SetAction(command, async run =>
        {
            var name = run.Get(service)!;
            var current = await run.Client.GetMonitoringSettingsAsync(name, run.CancellationToken);
            var s = current.Settings;
            var changed = false;
            if (run.Get(policy) is { } p)
            {
                s = s with { InputPolicy = p == "reject" ? InputPolicy.Reject : InputPolicy.Record };
                changed = true;
            }

            if (run.Get(segments) is { Length: > 0 } seg)
            {
                s = s with { Segments = seg };
                changed = true;
            }

            if (run.Get(clearSegments))
            {
                s = s with { Segments = [] };
                changed = true;
            }

            if (run.Get(refusals) is { Length: > 0 } r)
            {
                s = s with { RefusalPatterns = r };
                changed = true;
            }

            if (run.Get(outcomeWindow) is { } hours)
            {
                s = s with { OutcomeWindowHours = hours };
                changed = true;
            }

            var view = changed ? await run.Client.PutMonitoringSettingsAsync(name, s, run.CancellationToken) : current;
            if (run.Get(json))
            {
                run.Output.Json(view);
                return ExitCodes.Success;
            }

            var table = Styles.Table("Setting", "Value");
            table.AddRow("input policy", view.Settings.InputPolicy == InputPolicy.Reject ? "reject" : "record");
            table.AddRow("segments", Markup.Escape(view.Settings.Segments is { Count: > 0 } sg ? string.Join(", ", sg) : "(none)"));
            table.AddRow("refusal patterns", Markup.Escape(view.Settings.RefusalPatterns is { Count: > 0 } rp ? string.Join(" | ", rp) : "(defaults)"));
            table.AddRow("outcome window", view.Settings.OutcomeWindowHours.ToString("0.##", CultureInfo.InvariantCulture) + " h");
            table.AddRow("revision", view.Revision.ToString(CultureInfo.InvariantCulture));
            run.Output.Console.Write(table);
            if (changed)
            {
                run.Output.Line($"Saved the monitoring settings of '{name}' (revision {view.Revision}).");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Metrics(CliContext context)
    {
        var metrics = new Command("metrics", "Business metrics (retention, revenue per user, NPS …) for the business layer");
        metrics.Add(Push(context));
        metrics.Add(List(context));
        return metrics;
    }

    private static Command Push(CliContext context)
    {
        var name = new Argument<string?>("name") { Description = "The metric's name (omit with --file)", Arity = ArgumentArity.ZeroOrOne };
        var value = new Argument<string?>("value") { Description = "The value (omit with --file)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<FileInfo?>("--file", "-f") { Description = "A CSV (columns name,value,timestamp[,service,version,arm,segment]) or JSON file (an array of points, or {\"points\": […]})", HelpName = "points.csv" };
        var at = Arguments.Time("--at", "The time the value describes (default: now)", context.Time, allowRelative: true);
        var service = new Option<string?>("--service") { Description = "Tag the point with a service", HelpName = "service" };
        var version = new Option<int?>("--version") { Description = "Tag the point with a model version (needs --service)", HelpName = "n" };
        var arm = new Option<string?>("--arm") { Description = "Tag the point with an arm (needs --service)", HelpName = "arm" };
        var segment = new Option<string?>("--segment") { Description = "Tag the point with a segment value", HelpName = "value" };
        var command = new Command("push", "Push one value, or a file of points (all are stored or none)") { name, value, file, at, service, version, arm, segment };
        context.SetAction(command, async run =>
        {
            JsonArray points;
            if (run.Get(file) is { } f)
            {
                if (run.Get(name) is not null)
                {
                    throw new CliUsageException("give either NAME VALUE or --file, not both");
                }

                points = await ReadPointsAsync(f, run.CancellationToken);
            }
            else
            {
                if (run.Get(name) is not { } n || run.Get(value) is not { } v)
                {
                    throw new CliUsageException("give NAME VALUE (e.g. 'vigil metrics push retention_d7 0.41') or --file points.csv");
                }

                if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                {
                    throw new CliUsageException($"value '{v}' is not a finite number");
                }

                var point = new JsonObject
                {
                    ["name"] = n,
                    ["value"] = number,
                    ["timestamp"] = (run.Get(at) ?? context.Time.GetUtcNow()).ToString("O", CultureInfo.InvariantCulture),
                };
                Tag(point, "service", run.Get(service));
                Tag(point, "arm", run.Get(arm));
                Tag(point, "segment", run.Get(segment));
                if (run.Get(version) is { } ver)
                {
                    point["version"] = ver;
                }

                points = [point];
            }

            var stored = await run.Client.PushBusinessMetricsAsync(points, run.CancellationToken);
            run.Output.Line($"Stored {stored.Stored} point{(stored.Stored == 1 ? "" : "s")}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Tag(JsonObject point, string field, string? value)
    {
        if (value is not null)
        {
            point[field] = value;
        }
    }

    /// <summary>Reads points from a CSV or JSON file; values the server must judge (a bad number, a missing time) are passed on for it to report with the row.</summary>
    internal static async Task<JsonArray> ReadPointsAsync(FileInfo file, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            throw new CliFailureException($"{file.FullName} does not exist");
        }

        var text = await File.ReadAllTextAsync(file.FullName, cancellationToken);
        if (text.TrimStart().StartsWith('[') || text.TrimStart().StartsWith('{'))
        {
            try
            {
                var node = JsonNode.Parse(text);
                return node switch
                {
                    JsonArray array => array,
                    JsonObject o when o["points"] is JsonArray array => (JsonArray)array.DeepClone(),
                    _ => throw new CliFailureException($"{file.Name}: expected an array of points or {{\"points\": […]}}"),
                };
            }
            catch (JsonException ex)
            {
                throw new CliFailureException($"{file.Name} is not valid JSON: {ex.Message}");
            }
        }

        if (text.Trim().Length == 0)
        {
            throw new CliFailureException($"{file.Name} is empty; the first line must be a header such as name,value,timestamp");
        }

        var points = new JsonArray();
        try
        {
            var options = CsvReaderOptions.Default with
            {
                Separator = ',',
                FieldCountMismatch = CsvFieldCountHandling.Throw,
                MalformedData = CsvMalformedDataHandling.Throw,
            };
            using var reader = CsvReader.FromFile(file.FullName, options);
            reader.ReadHeader();
            var header = reader.Headers.Select(h => h.Trim()).ToArray();
            var unknown = header.Where(h => !CsvColumns.Contains(h, StringComparer.Ordinal)).ToList();
            var missing = new[] { "name", "value", "timestamp" }.Where(c => !header.Contains(c, StringComparer.Ordinal)).ToList();
            if (unknown.Count > 0 || missing.Count > 0)
            {
                var problems = unknown.Select(u => $"unknown column '{u}'").Concat(missing.Select(m => $"missing column '{m}'")).ToList();
                throw new CliFailureException($"{file.Name}: the header must have name,value,timestamp and optionally service,version,arm,segment", problems);
            }

            while (reader.Read())
            {
                var point = new JsonObject();
                for (var i = 0; i < header.Length; i++)
                {
                    var cell = reader.GetString(i)?.Trim();
                    if (string.IsNullOrEmpty(cell))
                    {
                        continue;
                    }

                    point[header[i]] = header[i] switch
                    {
                        "value" => double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(cell),
                        "version" => int.TryParse(cell, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n) : JsonValue.Create(cell),
                        _ => JsonValue.Create(cell),
                    };
                }

                points.Add(point);
            }
        }
        catch (CsvFormatException ex)
        {
            throw new CliFailureException($"{file.Name} is not valid CSV: {ex.Message}");
        }

        if (points.Count == 0)
        {
            throw new CliFailureException($"{file.Name} has a header but no rows");
        }

        return points;
    }

    private static Command List(CliContext context)
    {
        var name = new Option<string?>("--name") { Description = "Only this metric", HelpName = "name" };
        var service = new Option<string?>("--service") { Description = "Only points tagged with this service", HelpName = "service" };
        var from = Arguments.Time("--from", "Points at or after this time", context.Time, allowRelative: true);
        var to = Arguments.Time("--to", "Points before this time", context.Time, allowRelative: true);
        var json = CliContext.JsonOption();
        var command = new Command("list", "List business-metric points, oldest first") { name, service, from, to, json };
        context.SetAction(command, async run =>
        {
            var list = await run.Client.ListBusinessMetricsAsync(run.Get(name), run.Get(service), run.Get(from), run.Get(to), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(list);
                return ExitCodes.Success;
            }

            if (list.Points.Count == 0)
            {
                run.Output.Line("No points. Push some with 'vigil metrics push NAME VALUE' or 'vigil metrics push --file points.csv'.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Time", "Name", "Value", "Service", "Version", "Arm", "Segment");
            foreach (var p in list.Points)
            {
                table.AddRow(
                    Styles.Time(p.Timestamp), Markup.Escape(p.Name), p.Value.ToString("G6", CultureInfo.InvariantCulture), Markup.Escape(p.Service ?? "-"),
                    p.Version?.ToString(CultureInfo.InvariantCulture) ?? "-", Markup.Escape(p.Arm ?? "-"), Markup.Escape(p.Segment ?? "-"));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary><c>vigil monitors apply -f monitors.yaml --service S</c>: replaces the service's monitors of the layers the file names.</summary>
    public static Command ApplyMonitors(CliContext context)
    {
        var file = new Option<FileInfo>("--file", "-f") { Description = "Monitors (YAML or JSON: a list, or 'monitors:' with a list)", HelpName = "monitors.yaml", Required = true };
        var service = new Option<string>("--service") { Description = "The service the monitors belong to", HelpName = "service", Required = true };
        var json = CliContext.JsonOption();
        var command = new Command("apply", "Set a service's monitors from a file: for each layer it names (input, output, performance, business) they replace the defaults") { file, service, json };
        context.SetAction(command, async run =>
        {
            var name = run.Get(service)!;
            var monitors = await ReadMonitorsAsync(run.Client, run.Get(file)!, name, run.CancellationToken);
            var current = await run.Client.GetMonitoringSettingsAsync(name, run.CancellationToken);
            var saved = await run.Client.PutMonitoringSettingsAsync(name, current.Settings with { Monitors = monitors }, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(saved);
                return ExitCodes.Success;
            }

            run.Output.Line($"Applied {monitors.Count} monitor{(monitors.Count == 1 ? "" : "s")} to '{name}' (revision {saved.Revision}): {string.Join(", ", monitors.Select(m => m.Name))}.");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary><c>vigil monitors test -f monitors.yaml --service S</c>: what the monitors would have raised over the service's recent history.</summary>
    public static Command TestMonitors(CliContext context)
    {
        var file = new Option<FileInfo?>("--file", "-f") { Description = "Monitors to try (default: the service's own)", HelpName = "monitors.yaml" };
        var service = new Option<string>("--service") { Description = "The service whose history to replay", HelpName = "service", Required = true };
        var from = Arguments.Time("--from", "Start of the replay (default: 7 days before --to)", context.Time, allowRelative: true);
        var to = Arguments.Time("--to", "End of the replay (default: now)", context.Time, allowRelative: true);
        var step = new Option<string?>("--step") { Description = "How often to evaluate, e.g. 15m, 1h (default 1h)", HelpName = "duration" };
        var json = CliContext.JsonOption();
        var command = new Command("test", "Run monitors over a service's recent history and print every alert that would have fired") { file, service, from, to, step, json };
        context.SetAction(command, async run =>
        {
            var name = run.Get(service)!;
            var monitors = run.Get(file) is { } f
                ? await ReadMonitorsAsync(run.Client, f, name, run.CancellationToken)
                : (await run.Client.GetMonitoringSettingsAsync(name, run.CancellationToken)).Settings.EffectiveMonitors;
            var result = await run.Client.TestMonitorsAsync(name, monitors, run.Get(from), run.Get(to), run.Get(step), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(result);
                return ExitCodes.Success;
            }

            if (result.Alerts.Count == 0)
            {
                run.Output.Line($"No alert would have fired: {result.Monitors} monitor{(result.Monitors == 1 ? "" : "s")} over {Styles.Time(result.From)} – {Styles.Time(result.To)}.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Monitor", "Layer", "Subject", "Severity", "First bad window", "Fired", "Value", "Threshold");
            foreach (var a in result.Alerts)
            {
                table.AddRow(
                    Markup.Escape(a.Monitor), a.Layer.ToString().ToLowerInvariant(), Markup.Escape(a.Subject), a.Severity.ToString().ToLowerInvariant(),
                    Styles.Time(a.FirstBadWindowStart), Styles.Time(a.FiredAt), a.Value.ToString("G4", CultureInfo.InvariantCulture), a.Threshold.ToString("G4", CultureInfo.InvariantCulture));
            }

            run.Output.Console.Write(table);
            run.Output.Line($"{result.Alerts.Count} alert{(result.Alerts.Count == 1 ? "" : "s")} would have fired.");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Reads a monitors file and checks what the client can: the file's shape, metric and layer names (with the file
    /// reader), and that input and output monitors name features of the service. The server checks the rest.
    /// </summary>
    private static async Task<IReadOnlyList<Vigil.Monitoring.MonitorDefinition>> ReadMonitorsAsync(Client.VigilClient client, FileInfo file, string service, CancellationToken ct)
    {
        IReadOnlyList<Vigil.Monitoring.MonitorDefinition> monitors;
        try
        {
            monitors = Monitoring.MonitorsFile.Read(file.FullName, null);
        }
        catch (DataFiles.DataFileException ex)
        {
            throw new CliFailureException(ex.Message);
        }

        var features = (await client.GetServiceAsync(service, ct)).Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var m in monitors.Where(m => m.Layer is Vigil.Monitoring.MonitorLayer.Input or Vigil.Monitoring.MonitorLayer.Output))
        {
            if (m.Feature != Vigil.Monitoring.MonitorDefinition.AnyFeature && !m.Feature.StartsWith('@') && !features.Contains(m.Feature))
            {
                errors.Add($"monitor '{m.Name}': feature '{m.Feature}' is not a feature of '{service}' (features: {string.Join(", ", features.Order(StringComparer.Ordinal))})");
            }
        }

        errors.AddRange(DefaultLayerMonitors.Validate(monitors));
        if (errors.Count > 0)
        {
            throw new CliFailureException($"{file.Name} has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}; nothing was applied", errors);
        }

        return monitors;
    }
}
