using System.CommandLine;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Monitoring;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil alerts list</c> and <c>vigil monitors list</c>: what the monitors see (docs/monitoring.md).</summary>
internal static class AlertsCommands
{
    public static Command Create(CliContext context)
    {
        var alerts = new Command("alerts", "Alerts raised by the monitors: pending, firing and resolved");
        var service = new Option<string?>("--service") { Description = "Only the alerts of this service", HelpName = "service" };
        var json = CliContext.JsonOption();
        var list = new Command("list", "List alerts, newest first") { service, json };
        context.SetAction(list, async run =>
        {
            var result = await run.Client.ListAlertsAsync(run.Get(service), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(result);
                return ExitCodes.Success;
            }

            if (result.Alerts.Count == 0)
            {
                run.Output.Line("No alerts.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Service", "Version", "Monitor", "Subject", "State", "Fired", "Time to detect", "Summary");
            foreach (var a in result.Alerts)
            {
                var state = a.Status.State switch
                {
                    AlertState.Firing when a.Inhibited => "[grey]firing (inhibited)[/]",
                    AlertState.Firing => "[red]firing[/]",
                    AlertState.Pending => "[yellow]pending[/]",
                    _ => "[green]resolved[/]",
                };
                table.AddRow(
                    Markup.Escape(a.Service), a.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(a.Status.Monitor),
                    Markup.Escape(a.Status.Subject), state, a.Status.FiredAt is { } f ? $"{f:u}" : "-",
                    a.Status.TimeToDetectSeconds is { } t ? TimeSpan.FromSeconds(t).ToString() : "-", Markup.Escape(a.Summary ?? string.Empty));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        alerts.Add(list);
        return alerts;
    }

    public static Command CreateMonitors(CliContext context)
    {
        var monitors = new Command("monitors", "The monitors every service runs");
        var json = CliContext.JsonOption();
        var list = new Command("list", "List the monitors") { json };
        context.SetAction(list, async run =>
        {
            var result = await run.Client.ListMonitorsAsync(run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(result);
                return ExitCodes.Success;
            }

            var table = Styles.Table("Name", "Layer", "Metric", "Feature", "Condition", "Window", "For", "Keep firing", "Severity");
            foreach (var m in result.Monitors)
            {
                table.AddRow(
                    Markup.Escape(m.Name), m.Layer.ToString().ToLowerInvariant(), m.Metric, Markup.Escape(m.Feature),
                    $"{(m.Comparison == MonitorComparison.Threshold ? string.Empty : m.Comparison.ToString() + " ")}{(m.Operator == MonitorOperator.Above ? "≥" : "≤")} {m.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                    m.Window.ToString(), m.For.ToString(), m.KeepFiringFor.ToString(), m.Severity.ToString().ToLowerInvariant());
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        monitors.Add(list);
        monitors.Add(ExportRules(context));
        monitors.Add(LayerCommands.ApplyMonitors(context));
        monitors.Add(LayerCommands.TestMonitors(context));
        return monitors;
    }

    private static Command ExportRules(CliContext context)
    {
        var file = new Option<string?>("--monitors") { Description = "Monitors (YAML or JSON; default: the default set)", HelpName = "file" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the rules to this file (default: stdout)", HelpName = "rules.yml" };
        var command = new Command("export-rules", "Write Prometheus alerting rules for the monitors whose metrics Vigil exports (no server needed)") { file, output };
        context.SetAction(command, async run =>
        {
            IReadOnlyList<MonitorDefinition> definitions;
            try
            {
                definitions = run.Get(file) is { } path ? Monitoring.MonitorsFile.Read(path, null) : DefaultMonitors.All;
            }
            catch (DataFiles.DataFileException ex)
            {
                throw new CliFailureException(ex.Message);
            }

            var rules = PrometheusRules.Export(definitions);
            if (run.Get(output) is { } target)
            {
                await File.WriteAllTextAsync(target, rules, run.CancellationToken);
                run.Output.Line($"Wrote {target}.");
            }
            else
            {
                run.Output.Out.Write(rules);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
