using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Retraining;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil jobs list|show|logs|cancel</c>: the retraining jobs (docs/retraining.md, "Jobs").</summary>
internal static class JobsCommands
{
    public static Command Create(CliContext context)
    {
        var jobs = new Command("jobs", "Retraining jobs: queued → running → succeeded | failed | cancelled");
        jobs.Add(List(context));
        jobs.Add(Show(context));
        jobs.Add(Logs(context));
        jobs.Add(Cancel(context));
        return jobs;
    }

    private static Argument<string> IdArgument() => new("id") { Description = "The job's id (job-…), as 'vigil jobs list' shows it" };

    private static Command List(CliContext context)
    {
        var service = new Option<string?>("--service") { Description = "Only this service's jobs", HelpName = "name" };
        var active = new Option<bool>("--active") { Description = "Only queued and running jobs" };
        var limit = new Option<int>("--limit") { Description = "Most jobs shown, newest first", DefaultValueFactory = _ => 20 };
        var json = CliContext.JsonOption();
        var command = new Command("list", "List retraining jobs, newest first") { service, active, limit, json };
        context.SetAction(command, async run =>
        {
            var list = await run.Client.ListJobsAsync(run.Get(service), run.Get(active), run.Get(limit), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(list);
                return ExitCodes.Success;
            }

            if (list.Jobs.Count == 0)
            {
                run.Output.Line("No retraining jobs. Start one with 'vigil retrain SERVICE --reason \"…\"'.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Job", "Service", "Status", "Trigger", "Trainer", "Version", "Queued", "Ended", "Error");
            foreach (var job in list.Jobs)
            {
                table.AddRow(Markup.Escape(job.Id), Markup.Escape(job.Service), StatusText(job.Status), Markup.Escape(job.Cause.Kind), Markup.Escape(job.Trainer),
                    Styles.Version(job.Version), Styles.Time(job.CreatedAt), Styles.Time(job.FinishedAt), Styles.Text(job.Error));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var id = IdArgument();
        var json = CliContext.JsonOption();
        var command = new Command("show", "Show one job: cause, status, attempts, coalesced triggers, version, data range") { id, json };
        context.SetAction(command, async run =>
        {
            var job = await run.Client.GetJobAsync(run.Get(id)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(job);
                return ExitCodes.Success;
            }

            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            grid.AddRow("[bold]Job[/]", Markup.Escape($"{job.Id} ({job.Service})"));
            grid.AddRow("[bold]Status[/]", StatusText(job.Status));
            grid.AddRow("[bold]Trigger[/]", Markup.Escape($"{job.Cause.Kind} by {job.Cause.Actor}: {job.Cause.Reason}"));
            grid.AddRow("[bold]Trainer[/]", Markup.Escape($"{job.Trainer}, attempt {job.Attempt}"));
            grid.AddRow("[bold]Coalesced[/]", job.Coalesced.ToString(CultureInfo.InvariantCulture) + " later trigger(s)");
            grid.AddRow("[bold]Times[/]", $"queued {Styles.Time(job.CreatedAt)}, started {Styles.Time(job.StartedAt)}, ended {Styles.Time(job.FinishedAt)}");
            grid.AddRow("[bold]Version[/]", Styles.Version(job.Version));
            grid.AddRow("[bold]Details[/]", Styles.Text(job.Details));
            grid.AddRow("[bold]Error[/]", Styles.Text(job.Error));
            run.Output.Console.Write(grid);
            run.Output.Line($"Logs: vigil jobs logs {job.Id}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Logs(CliContext context)
    {
        var id = IdArgument();
        var command = new Command("logs", "Print a job's captured log: the trainer's output and the runner's own lines") { id };
        context.SetAction(command, async run =>
        {
            run.Output.Out.Write(await run.Client.GetJobLogsAsync(run.Get(id)!, run.CancellationToken));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Cancel(CliContext context)
    {
        var id = IdArgument();
        var reason = new Option<string?>("--reason") { Description = "Why (goes into the audit log)", HelpName = "text" };
        var json = CliContext.JsonOption();
        var command = new Command("cancel", "Cancel a queued or running job; a running trainer is stopped") { id, reason, json };
        context.SetAction(command, async run =>
        {
            var job = await run.Client.CancelJobAsync(run.Get(id)!, run.Get(reason), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(job);
                return ExitCodes.Success;
            }

            run.Output.Line($"Job {job.Id} cancelled.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string StatusText(string status) => status switch
    {
        JobStatus.Succeeded => "[green]succeeded[/]",
        JobStatus.Failed => "[red]failed[/]",
        JobStatus.Running => "[blue]running[/]",
        JobStatus.Cancelled => "[grey]cancelled[/]",
        _ => Markup.Escape(status),
    };
}
