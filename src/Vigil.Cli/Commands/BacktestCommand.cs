using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Vigil.Cli.DataFiles;
using Vigil.Cli.Monitoring;
using Vigil.Cli.Output;
using Vigil.Monitoring;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil backtest</c>: replays timestamped traffic through the server's windows, profiles and monitors on a virtual
/// clock (no server needed) and reports every alert that would have fired, with its time to detect.
/// </summary>
internal static class BacktestCommand
{
    public static Command Create(CliContext context)
    {
        var baseline = new Option<string>("--baseline") { Description = "The training data (.csv or .parquet): the baseline every window is compared with", HelpName = "file", Required = true };
        var traffic = new Option<string>("--traffic") { Description = "Timestamped traffic (.csv, .jsonl or .parquet with a 'timestamp' column, the features, optionally score, confidence, latency_ms, error)", HelpName = "file", Required = true };
        var schemaFile = new Option<string?>("--schema") { Description = "The service file of 'vigil services create -f' (types, nullable, min/max, categories); default: inferred from the baseline", HelpName = "file" };
        var monitors = new Option<string?>("--monitors") { Description = "Monitors (YAML or JSON; default: the default set of docs/monitoring.md)", HelpName = "file" };
        var json = CliContext.JsonOption();
        var command = new Command("backtest", "Replay traffic through Vigil's monitors offline: which alerts would have fired, and how early")
        {
            baseline, traffic, schemaFile, monitors, json,
        };
        context.SetAction(command, async run =>
        {
            var watch = Stopwatch.StartNew();
            BacktestReport report;
            try
            {
                var data = await DataFileReader.ReadAsync(run.Get(baseline)!, null, run.CancellationToken);
                var profiles = BaselineProfiler.Profile(data, run.Output.Warn);
                var declared = run.Get(schemaFile) is { } schemaPath ? ReadSchema(schemaPath) : null;
                var schema = TrafficSchema.Create(profiles, declared, run.Get(schemaFile), run.Output.Warn);
                var definitions = run.Get(monitors) is { } file ? MonitorsFile.Read(file, profiles.Keys) : DefaultMonitors.All;
                var backtester = new Backtester(definitions, profiles);
                var path = run.Get(traffic)!;
                if (run.Output.Interactive && !run.Get(json))
                {
                    report = null!;
                    await run.Output.Console.Progress()
                        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                        .StartAsync(async progress =>
                        {
                            var task = progress.AddTask(Markup.Escape($"Replaying {Path.GetFileName(path)}"), maxValue: 1);
                            report = await TrafficReplay.RunAsync(path, backtester, schema, run.Output.Warn, fraction => task.Value = fraction, run.CancellationToken);
                            task.Value = 1;
                        });
                }
                else
                {
                    report = await TrafficReplay.RunAsync(path, backtester, schema, run.Output.Warn, null, run.CancellationToken);
                }
            }
            catch (DataFileException ex)
            {
                throw new CliFailureException(ex.Message);
            }

            if (report.LateRows > 0)
            {
                run.Output.Warn($"{report.LateRows} row(s) older than the window being filled were skipped; sort the traffic by timestamp");
            }

            if (run.Get(json))
            {
                run.Output.Json(report);
                return ExitCodes.Success;
            }

            run.Output.Line($"{report.Rows:N0} rows in {report.Windows:N0} one-minute windows, {report.From:u} to {report.To:u}; replayed in {watch.Elapsed.TotalSeconds:0.0} s");
            if (report.Alerts.Count == 0)
            {
                run.Output.MarkupLine("[green]No alert would have fired.[/]");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Monitor", "Feature", "Severity", "First bad window", "Fired", "Time to detect", "Value", "Resolved");
            foreach (var a in report.Alerts)
            {
                table.AddRow(
                    Markup.Escape(a.Monitor),
                    Markup.Escape(a.Feature ?? "-"),
                    a.Severity == AlertSeverity.Critical ? "[red]critical[/]" : a.Severity.ToString().ToLowerInvariant(),
                    $"{a.FirstBadWindowStart:u}",
                    $"{a.FiredAt:u}",
                    TimeSpan.FromSeconds(a.TimeToDetectSeconds).ToString(),
                    Markup.Escape(a.Summary),
                    a.ResolvedAt is { } r ? $"{r:u}" : "[red]still firing[/]");
            }

            run.Output.Console.Write(table);
            run.Output.Line($"{report.Alerts.Count} alert(s) would have fired.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static IReadOnlyList<Registry.FeatureSpec> ReadSchema(string path)
    {
        var read = ServiceFiles.ServiceFileReader.ReadFile(path);
        if (!read.IsValid)
        {
            throw new CliFailureException($"{path} is not a valid service file (the schema of 'vigil services create -f'):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", read.Errors));
        }

        return read.Request!.Inputs;
    }
}
