using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Server.Api;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil status [SERVICE]</c>: the server's health (store, open mode, recorder, orphan outcomes) and, per service,
/// the aliases and the traffic per version and arm with requests, error rate, latency and outcome rates.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var service = new Argument<string?>("service") { Description = "Only this service (default: the server and every service)", Arity = ArgumentArity.ZeroOrOne };
        var since = Arguments.Time("--since", "With SERVICE: count traffic from this time or age (2026-11-01, 24h); default all", context.Time, allowRelative: true);
        var json = CliContext.JsonOption();
        var command = new Command("status", "Show the server's health and each service's aliases and traffic") { service, since, json };
        command.Validators.Add(result =>
        {
            if (result.GetResult(since) is not null && result.GetResult(service) is null)
            {
                result.AddError("--since needs a SERVICE: vigil status SERVICE --since 24h");
            }
        });
        context.SetAction(command, async run =>
        {
            if (run.Get(service) is { } name)
            {
                var serviceStatus = await run.Client.GetServiceStatusAsync(name, run.Get(since), run.CancellationToken);
                if (run.Get(json))
                {
                    run.Output.Json(serviceStatus);
                }
                else
                {
                    PrintService(run.Output, serviceStatus);
                }

                return ExitCodes.Success;
            }

            var status = await run.Client.GetStatusAsync(run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(status);
                return ExitCodes.Success;
            }

            PrintServer(run.Output, status);
            foreach (var serviceStatus in status.Services)
            {
                run.Output.Line();
                PrintService(run.Output, serviceStatus);
            }

            if (status.Services.Count == 0)
            {
                run.Output.Line();
                run.Output.Line("No services yet. Create one with 'vigil services create -f service.yaml'.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void PrintServer(CliOutput output, StatusView status)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        grid.AddRow("[bold]Vigil[/]", Markup.Escape(status.Version) + (status.Commit is { Length: > 0 } commit ? Markup.Escape($" (commit {commit})") : string.Empty));
        grid.AddRow("[bold]Store[/]", Markup.Escape(status.Store) + (status.StoreReady ? " [green](ready)[/]" : " [red](NOT READY)[/]"));
        grid.AddRow("[bold]Access[/]", status.OpenMode
            ? "[yellow]open mode[/]: loopback only and no API keys, every request is allowed"
            : "API keys required");
        var recorder = status.Recorder;
        grid.AddRow("[bold]Recorder[/]",
            $"{recorder.Queued:N0} queued of {recorder.Capacity:N0}, {recorder.Written:N0} written, "
            + (recorder.Dropped > 0 ? $"[red]{recorder.Dropped:N0} dropped[/]" : "0 dropped")
            + (recorder.WriteFailures > 0 ? $", [yellow]{recorder.WriteFailures:N0} write failures (retried)[/]" : string.Empty)
            + (recorder.FoldErrors > 0 ? $", [yellow]{recorder.FoldErrors:N0} fold errors[/] (values left out of monitoring, see the log)" : string.Empty)
            + (recorder.Durability == "commit" ? $"; durability commit ({recorder.CommitTimeouts:N0} timed out)" : string.Empty));
        grid.AddRow("[bold]Orphan outcomes[/]", $"{status.OrphanOutcomes:N0} (feedback whose prediction is not stored)");
        grid.AddRow("[bold]Leader[/]", status.Leader switch
        {
            null => "[grey]-[/]",
            { ReplicaId: null } => "[yellow]no replica leads[/]: the control loops are not running",
            var leader => Markup.Escape($"{leader.ReplicaId} since {leader.Since:yyyy-MM-dd HH:mm:ss}Z") + (leader.ThisReplicaLeads ? " (this replica)" : Markup.Escape($" (answered by {leader.ThisReplica})")),
        });
        output.Console.Write(grid);
    }

    private static void PrintService(CliOutput output, ServiceStatusView status)
    {
        output.MarkupLine($"[bold underline]{Markup.Escape(status.Service)}[/]  {Styles.AliasSummary(status.Aliases)}"
            + (status.Since is { } since ? $"  [grey](traffic since {Styles.Time(since)})[/]" : string.Empty));
        if (status.Traffic.Count == 0)
        {
            output.Line("  no traffic recorded");
            return;
        }

        var table = Styles.Table("Version", "Arm", "Requests", "Error rate", "Mean latency", "Max latency", "Outcomes");
        foreach (var traffic in status.Traffic.OrderBy(t => t.Version).ThenBy(t => t.Arm, StringComparer.Ordinal))
        {
            var aliases = Styles.AliasesOf(traffic.Version, status.Aliases);
            var errorRate = traffic.Requests == 0 ? 0 : (double)traffic.Errors / traffic.Requests;
            var outcomes = traffic.Outcomes.Count == 0
                ? "[grey]-[/]"
                : string.Join("; ", traffic.Outcomes.Select(o =>
                    Markup.Escape($"{o.Name} {(o.Mean is { } mean ? mean.ToString("0.###", CultureInfo.InvariantCulture) : "-")} (n={o.Count:N0}, {Styles.Percent(traffic.Requests == 0 ? 0 : (double)o.Count / traffic.Requests)} joined)")));
            table.AddRow(
                $"v{traffic.Version}" + (aliases.Count > 0 ? " " + Styles.Aliases(aliases) : string.Empty),
                Markup.Escape(traffic.Arm),
                traffic.Requests.ToString("N0"),
                (traffic.Errors > 0 ? "[red]" : "[default]") + Styles.Percent(errorRate) + $" ({traffic.Errors:N0})[/]",
                $"{traffic.MeanLatencyMs:0.0} ms",
                $"{traffic.MaxLatencyMs:0.0} ms",
                outcomes);
        }

        output.Console.Write(table);
    }
}
