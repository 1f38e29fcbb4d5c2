using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Monitoring;
using Vigil.Pipelines;
using Vigil.Server.Pipelines;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil pipelines status PIPELINE [--json]</c>: each stage's alert (docs/pipelines.md, "Stage alerts").</summary>
internal static class PipelineStatusCommand
{
    public static Command Create(CliContext context)
    {
        var name = new Argument<string>("pipeline") { Description = "The pipeline's name" };
        var json = CliContext.JsonOption();
        var command = new Command("status", "Each stage's alert: its metric on matured traces against the threshold, pending/firing/resolved, time to detect") { name, json };
        context.SetAction(command, async run =>
        {
            var alerts = await run.Client.GetStageAlertsAsync(run.Get(name)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(alerts);
                return ExitCodes.Success;
            }

            Print(run.Output.Console, alerts);
            return ExitCodes.Success;
        });
        return command;
    }

    internal static void Print(IAnsiConsole output, StageAlertList alerts)
    {
        if (alerts.Stages.Count == 0)
        {
            output.MarkupLine($"[grey]Pipeline {Markup.Escape(alerts.Pipeline)}'s stages have not been evaluated yet (the leader evaluates them every minute).[/]");
            return;
        }

        var table = Styles.Table("Stage", "Metric", "Value", "Threshold", "Reading", "Alert", "Since", "Time to detect", "Judged", "Window (matured)");
        foreach (var a in alerts.Stages)
        {
            table.AddRow(
                Markup.Escape(a.Stage),
                Markup.Escape(a.Metric),
                a.Value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "[grey]-[/]",
                Markup.Escape(a.Threshold),
                a.Reading switch { StageStatus.Ok => "[green]ok[/]", StageStatus.Breached => "[red bold]breached[/]", _ => "[grey]no data[/]" },
                a.Status.State switch
                {
                    AlertState.Firing => "[red bold]firing[/]",
                    AlertState.Pending => "[yellow]pending[/]",
                    AlertState.Resolved => "[green]resolved[/]",
                    _ => "[grey]inactive[/]",
                },
                (a.Status.State switch
                {
                    AlertState.Firing => a.Status.FiredAt,
                    AlertState.Pending => a.Status.ActiveAt,
                    AlertState.Resolved => a.Status.ResolvedAt,
                    _ => null,
                }) is { } since ? Styles.Time(since) : "[grey]-[/]",
                a.Status.TimeToDetectSeconds is { } t ? TimeSpan.FromSeconds(t).ToString() : "[grey]-[/]",
                a.Judged.ToString(CultureInfo.InvariantCulture),
                $"{Styles.Time(a.From)} → {Styles.Time(a.To)}");
        }

        output.Write(table);
    }
}
