using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Monitoring;
using Vigil.Server.Monitoring;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil alerts list|show|ack|silence|silences|unsilence</c> and <c>vigil monitors list</c>: what the monitors see (docs/monitoring.md).</summary>
internal static class AlertsCommands
{
    public static Command Create(CliContext context)
    {
        var alerts = new Command("alerts", "Alerts raised by the monitors: list, show, acknowledge and silence them");
        var service = new Option<string?>("--service") { Description = "Only the alerts of this service", HelpName = "service" };
        var json = CliContext.JsonOption();
        var list = new Command("list", "List alerts grouped by service, newest first") { service, json };
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

            foreach (var group in result.Alerts.GroupBy(a => a.Service, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var counts = result.Groups?.FirstOrDefault(g => g.Service == group.Key);
                run.Output.MarkupLine($"[bold]{Markup.Escape(group.Key)}[/]" + (counts is null ? string.Empty
                    : $": {counts.Firing} firing, {counts.Pending} pending, {counts.Resolved} resolved, {counts.Acked} acknowledged, {counts.Silenced} silenced"));
                var table = Styles.Table("Id", "Version", "Monitor", "Subject", "State", "Fired", "Time to detect", "Summary");
                foreach (var a in group)
                {
                    table.AddRow(
                        Markup.Escape(a.Id), a.Version.ToString(CultureInfo.InvariantCulture), Markup.Escape(a.Status.Monitor),
                        Markup.Escape(a.Status.Subject), StateText(a), a.Status.FiredAt is { } f ? $"{f:u}" : "-",
                        a.Status.TimeToDetectSeconds is { } t ? TimeSpan.FromSeconds(t).ToString() : "-", Markup.Escape(a.Summary ?? string.Empty));
                }

                run.Output.Console.Write(table);
            }

            return ExitCodes.Success;
        });
        alerts.Add(list);
        alerts.Add(Show(context));
        alerts.Add(Ack(context));
        alerts.Add(SilenceCommand(context));
        alerts.Add(Silences(context));
        alerts.Add(Unsilence(context));
        return alerts;
    }

    private static string StateText(AlertView a)
    {
        var text = a.Status.State switch
        {
            AlertState.Firing when a.Inhibited => "[grey]firing (inhibited)[/]",
            AlertState.Firing => "[red]firing[/]",
            AlertState.Pending => "[yellow]pending[/]",
            _ => "[green]resolved[/]",
        };
        if (a.Ack is not null)
        {
            text += " [grey]acked[/]";
        }

        if (a.Silenced is { Count: > 0 })
        {
            text += " [grey]silenced[/]";
        }

        return text;
    }

    private static Argument<string> AlertId() => new("id") { Description = "The alert's id, as 'vigil alerts list' shows it" };

    private static Command Show(CliContext context)
    {
        var id = AlertId();
        var json = CliContext.JsonOption();
        var command = new Command("show", "Show one alert: state, value, threshold, times, time to detect, ack and silences") { id, json };
        context.SetAction(command, async run =>
        {
            var a = await run.Client.GetAlertAsync(run.Get(id)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(a);
                return ExitCodes.Success;
            }

            static string T(DateTimeOffset? t) => t is { } v ? v.ToString("u", CultureInfo.InvariantCulture) : "-";
            run.Output.MarkupLine($"Alert [bold]{Markup.Escape(a.Id)}[/]: {Markup.Escape(a.Status.Monitor)} on {Markup.Escape(a.Status.Subject)} — {StateText(a)}");
            run.Output.Line($"Service: {a.Service} v{a.Version} ({a.Arm}), {a.Layer.ToString().ToLowerInvariant()} layer, {a.Severity.ToString().ToLowerInvariant()}");
            run.Output.Line($"Value: {a.Status.Value.ToString("G6", CultureInfo.InvariantCulture)} (threshold {a.Status.Threshold.ToString(CultureInfo.InvariantCulture)})");
            run.Output.Line($"Active since: {T(a.Status.ActiveAt)}; first bad window: {T(a.Status.FirstBadWindowStart)}; fired: {T(a.Status.FiredAt)}; resolved: {T(a.Status.ResolvedAt)}");
            run.Output.Line($"Time to detect: {(a.Status.TimeToDetectSeconds is { } t ? TimeSpan.FromSeconds(t).ToString() : "-")}");
            run.Output.Line($"Summary: {a.Summary}");
            run.Output.Line(a.Ack is { } ack ? $"Acknowledged by {ack.By} at {T(ack.At)}: {ack.Reason}" : $"Not acknowledged (vigil alerts ack {a.Id} --reason …)");
            if (a.Silenced is { Count: > 0 } silenced)
            {
                run.Output.Line($"Silenced by: {string.Join(", ", silenced)}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Ack(CliContext context)
    {
        var id = AlertId();
        var reason = new Option<string>("--reason") { Description = "Why (goes into the audit log)", HelpName = "text", Required = true };
        var json = CliContext.JsonOption();
        var command = new Command("ack", "Acknowledge a pending or firing alert for its current episode") { id, reason, json };
        context.SetAction(command, async run =>
        {
            var a = await run.Client.AckAlertAsync(run.Get(id)!, run.Get(reason)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(a);
                return ExitCodes.Success;
            }

            run.Output.Line($"Acknowledged {a.Id} ({a.Status.Monitor} on {a.Status.Subject}, {a.Service}) as {a.Ack?.By}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command SilenceCommand(CliContext context)
    {
        var service = new Option<string?>("--service") { Description = "Silence alerts of this service", HelpName = "service" };
        var monitor = new Option<string?>("--monitor") { Description = "Silence alerts of this monitor", HelpName = "name" };
        var feature = new Option<string?>("--feature") { Description = "Silence alerts on this feature (or * for service-wide alerts)", HelpName = "name" };
        var expires = new Option<string?>("--expires") { Description = "How long from now, e.g. 30m, 2h, 1d", HelpName = "duration" };
        var until = Arguments.Time("--until", "When the silence ends (ISO 8601); instead of --expires", context.Time, allowRelative: false);
        var comment = new Option<string>("--comment") { Description = "Why the alerts are silenced", HelpName = "text", Required = true };
        var author = new Option<string?>("--author") { Description = "Who silences (default: the API key's name)", HelpName = "name" };
        var json = CliContext.JsonOption();
        var command = new Command("silence", "Silence matching alerts until an expiry: they are neither notified nor acted on")
        {
            service, monitor, feature, expires, until, comment, author, json,
        };
        context.SetAction(command, async run =>
        {
            DateTimeOffset endsAt;
            if (run.Get(expires) is { } text)
            {
                if (!Duration.TryParse(text, out var duration) || duration.Value <= TimeSpan.Zero)
                {
                    throw new CliUsageException($"--expires '{text}': expected a duration such as 30m, 2h or 1d");
                }

                endsAt = run.Context.Time.GetUtcNow() + duration.Value;
            }
            else if (run.Get(until) is { } end)
            {
                endsAt = end;
            }
            else
            {
                throw new CliUsageException("a silence needs an expiry: give --expires 2h or --until 2026-11-27T09:00:00Z");
            }

            if (run.Get(service) is null && run.Get(monitor) is null && run.Get(feature) is null)
            {
                throw new CliUsageException("give at least one of --service, --monitor, --feature");
            }

            var silence = await run.Client.CreateSilenceAsync(
                new CreateSilenceRequest(run.Get(service), run.Get(monitor), run.Get(feature), endsAt, run.Get(comment), null, run.Get(author)),
                run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(silence);
                return ExitCodes.Success;
            }

            run.Output.Line($"Created silence {silence.Id} until {silence.EndsAt:u} ({Matchers(silence)}). End it early: vigil alerts unsilence {silence.Id}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Matchers(Silence s) =>
        string.Join(", ", new[] { ("service", s.Service), ("monitor", s.Monitor), ("feature", s.Subject) }.Where(m => m.Item2 is not null).Select(m => $"{m.Item1}={m.Item2}"));

    private static Command Silences(CliContext context)
    {
        var all = new Option<bool>("--all") { Description = "Include silences that have ended" };
        var json = CliContext.JsonOption();
        var command = new Command("silences", "List silences in force (or all with --all)") { all, json };
        context.SetAction(command, async run =>
        {
            var result = await run.Client.ListSilencesAsync(run.Get(all), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(result);
                return ExitCodes.Success;
            }

            if (result.Silences.Count == 0)
            {
                run.Output.Line("No silences.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Id", "Matchers", "Starts", "Ends", "Author", "Comment");
            foreach (var s in result.Silences)
            {
                table.AddRow(Markup.Escape(s.Id), Markup.Escape(Matchers(s)), $"{s.StartsAt:u}", $"{s.EndsAt:u}", Markup.Escape(s.CreatedBy), Markup.Escape(s.Comment));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Unsilence(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The silence's id (sil-…)" };
        var command = new Command("unsilence", "End a silence now") { id };
        context.SetAction(command, async run =>
        {
            var s = await run.Client.ExpireSilenceAsync(run.Get(id)!, run.CancellationToken);
            run.Output.Line($"Silence {s.Id} ended at {s.EndsAt:u}.");
            return ExitCodes.Success;
        });
        return command;
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
                    m.Window.ToString(), (m.For ?? default).ToString(), (m.KeepFiringFor ?? default).ToString(), m.Severity.ToString().ToLowerInvariant());
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
