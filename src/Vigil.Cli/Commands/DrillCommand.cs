using System.CommandLine;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Server.Retraining;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil drill SERVICE --degrade quality=10% [--window 1d] [--layer-report] [--json]</c> (docs/retraining.md, "Detection drill").</summary>
internal static class DrillCommand
{
    public static Command Create(CliContext context)
    {
        var service = new Argument<string>("service") { Description = "The service whose detection chain to drill" };
        var degrade = new Option<string>("--degrade")
        {
            Description = "The synthetic degradation: quality=10% (flip 10% of the answers), shift=FEATURE:+20% or nulls=FEATURE:30%",
            HelpName = "quality=10%",
            Required = true,
        };
        var window = new Option<string?>("--window") { Description = "How much recent labelled traffic to replay (default 1d)", HelpName = "1d" };
        var layers = new Option<bool>("--layer-report") { Description = "Show every layer with how it measured, not only the summary" };
        var json = CliContext.JsonOption();
        var command = new Command("drill", "Replay recent traffic in a sandbox with a synthetic degradation and report which layer catches it first, and when (never touches production)")
        {
            service, degrade, window, layers, json,
        };
        context.SetAction(command, async run =>
        {
            var report = await run.Client.DrillAsync(run.Get(service)!, new DrillRequest(run.Get(degrade)!, run.Get(window)), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(report);
                return ExitCodes.Success;
            }

            var console = run.Output.Console;
            console.MarkupLine($"[bold]Drill[/] (sandbox) of {Markup.Escape(report.Service)} v{report.Version}: {Markup.Escape(report.Degrade)} injected at {Styles.Time(report.InjectedAt)} "
                + $"into {report.DegradedRows:N0} of {report.Rows:N0} replayed requests ({Styles.Time(report.From)} → {Styles.Time(report.To)})");
            console.MarkupLine(Markup.Escape(report.Summary));
            var table = run.Get(layers)
                ? Styles.Table("Layer", "Caught", "By", "Time to detect", "Alarms before", "How")
                : Styles.Table("Layer", "Caught", "By", "Time to detect");
            foreach (var layer in report.Layers)
            {
                var cells = new List<string>
                {
                    Markup.Escape(layer.Layer),
                    layer.Caught ? "[red bold]yes[/]" : "[grey]no[/]",
                    Markup.Escape(layer.Monitor ?? "-"),
                    layer.TimeToDetectSeconds is { } t ? TimeSpan.FromSeconds(Math.Round(t)).ToString() : "-",
                };
                if (run.Get(layers))
                {
                    cells.Add(layer.AlarmsBeforeInjection.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    cells.Add(Markup.Escape(layer.Note));
                }

                table.AddRow([.. cells]);
            }

            console.Write(table);
            if (report.MedianLabelDelaySeconds is { } delay)
            {
                console.WriteLine($"Median label delay in the replayed traffic: {TimeSpan.FromSeconds(Math.Round(delay))}; accuracy {report.ReferenceAccuracy:0.000} before, {report.DegradedAccuracy:0.000} after the injection.");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
