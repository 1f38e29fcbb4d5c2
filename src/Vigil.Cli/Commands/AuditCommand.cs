using System.CommandLine;
using Spectre.Console;
using Vigil.Audit;
using Vigil.Cli.Output;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil audit</c>: the append-only log of control-plane changes, newest first, with filters.</summary>
internal static class AuditCommand
{
    public static Command Create(CliContext context)
    {
        var service = new Option<string?>("--service") { Description = "Only changes of this service" };
        var actor = new Option<string?>("--actor") { Description = "Only changes by this actor (a key's name, 'local', 'vigil:controller')" };
        var action = new Option<string?>("--action") { Description = "Only this action, e.g. service.created, alias.promoted" };
        var since = Arguments.Time("--since", "Only changes at or after this time or age (2026-11-01, 2026-11-20T10:00:00Z, 24h, 7d)", context.Time, allowRelative: true);
        var until = Arguments.Time("--until", "Only changes before this time or age", context.Time, allowRelative: true);
        var limit = new Option<int>("--limit")
        {
            Description = $"At most this many events (1–{AuditQuery.MaxLimit})",
            DefaultValueFactory = _ => 100,
        };
        limit.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value < 1 || value > AuditQuery.MaxLimit)
            {
                result.AddError($"--limit: must be between 1 and {AuditQuery.MaxLimit}");
            }
        });
        var json = CliContext.JsonOption();
        var command = new Command("audit", "Show the audit log of control-plane changes, newest first")
        {
            service, actor, action, since, until, limit, json,
        };
        context.SetAction(command, async run =>
        {
            var query = new AuditQuery(run.Get(service), run.Get(actor), run.Get(action), run.Get(since), run.Get(until), run.Get(limit));
            var list = await run.Client.QueryAuditAsync(query, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(list);
                return ExitCodes.Success;
            }

            if (list.Events.Count == 0)
            {
                run.Output.Line("No audit events match.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Id", "When", "Actor", "Action", "Target", "Reason");
            foreach (var e in list.Events)
            {
                table.AddRow(
                    e.Id.ToString(),
                    Styles.Time(e.At),
                    Markup.Escape(e.Actor),
                    Markup.Escape(e.Action),
                    Markup.Escape(e.Target),
                    Styles.Text(e.Reason));
            }

            run.Output.Console.Write(table);
            if (list.Events.Count == query.Limit)
            {
                run.Output.Line($"Showing the newest {query.Limit}; raise --limit or narrow with --since to see more.");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
