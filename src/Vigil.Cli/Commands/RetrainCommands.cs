using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Retraining;
using Vigil.Server.Retraining;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil retrain SERVICE --reason …</c> (the manual trigger), <c>vigil retrain policy show|set</c>, <c>vigil timeline</c>
/// and <c>vigil models eval</c> (docs/retraining.md).
/// </summary>
internal static class RetrainCommands
{
    /// <summary>Adds <c>retrain</c>, <c>timeline</c>, <c>jobs</c>, <c>data</c> and <c>maturity</c> to the root command.</summary>
    public static void AddTo(Command root, CliContext context)
    {
        root.Add(Create(context));
        root.Add(Timeline(context));
        root.Add(JobsCommands.Create(context));
        root.Add(DataCommands.Create(context));
        root.Add(MaturityCommand.Create(context));
    }

    public static Command Create(CliContext context)
    {
        var service = new Argument<string>("service") { Description = "The service to retrain" };
        var reason = new Option<string>("--reason") { Description = "Why (goes into the audit log)", HelpName = "text", Required = true };
        var json = CliContext.JsonOption();
        var retrain = new Command("retrain", "Retrain a service now (the manual trigger), or show and set its retraining policy") { service, reason, json };
        context.SetAction(retrain, async run =>
        {
            var view = await run.Client.RetrainAsync(new RetrainRequest(run.Get(service)!, run.Get(reason)), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(view);
                return ExitCodes.Success;
            }

            run.Output.Line(view.Message);
            if (view.Job is { } job)
            {
                run.Output.Line($"Follow it: vigil jobs show {job.Id}   (logs: vigil jobs logs {job.Id})");
            }

            return ExitCodes.Success;
        });
        var policy = new Command("policy", "Show or set a service's retraining policy");
        policy.Add(ShowPolicy(context));
        policy.Add(SetPolicy(context));
        retrain.Add(policy);
        return retrain;
    }

    public static Command Timeline(CliContext context)
    {
        var service = new Argument<string>("service") { Description = "The service" };
        var json = CliContext.JsonOption();
        var command = new Command("timeline", "The loop as one timeline: detection → trigger → training → evaluation → release → promotion or rollback") { service, json };
        context.SetAction(command, async run =>
        {
            var view = await run.Client.GetTimelineAsync(run.Get(service)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(view);
                return ExitCodes.Success;
            }

            if (view.Entries.Count == 0)
            {
                run.Output.Line($"Nothing yet: no retraining, evaluation or release of {view.Service}.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("When", "Stage", "What", "Who", "Detail");
            foreach (var entry in view.Entries)
            {
                table.AddRow(Styles.Time(entry.At), StageText(entry.Stage), Markup.Escape(entry.Action), Markup.Escape(entry.Actor), Styles.Text(entry.Summary));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Eval(CliContext context)
    {
        var service = new Argument<string>("service") { Description = "The service" };
        var number = new Argument<int>("version") { Description = "The version number" };
        var run_ = new Option<bool>("--run") { Description = "Evaluate now if the version has no report yet" };
        var json = CliContext.JsonOption();
        var command = new Command("eval", "Show a version's evaluation against the champion: metrics overall and per segment, with 95% intervals, and the gate's decision")
        {
            service, number, run_, json,
        };
        context.SetAction(command, async run =>
        {
            EvaluationReport report;
            try
            {
                report = await run.Client.GetEvaluationAsync(run.Get(service)!, run.Get(number), run.CancellationToken);
            }
            catch (Client.VigilApiException ex) when (ex.Status == 404 && run.Get(run_))
            {
                report = await run.Output.WithProgressAsync("Replaying the holdout through both models…", () => run.Client.EvaluateAsync(run.Get(service)!, run.Get(number), run.CancellationToken));
            }

            if (run.Get(json))
            {
                run.Output.Json(report);
                return ExitCodes.Success;
            }

            var colour = report.Decision switch { EvaluationReport.Passed => "green", EvaluationReport.Failed => "red", _ => "yellow" };
            run.Output.MarkupLine($"[bold]{Markup.Escape(report.Service)} v{report.Version}[/] against champion {Styles.Version(report.Champion)}: [{colour}]{report.Decision}[/]");
            run.Output.Line($"Holdout: {report.HoldoutRows} logged, labelled requests ({Styles.Time(report.HoldoutFrom)} – {Styles.Time(report.HoldoutTo)}), evaluated {Styles.Time(report.EvaluatedAt)}");
            if (report.Overall is { Candidate.MacroF1: not null } or { Candidate.Rmse: not null })
            {
                EvaluationTables.PrintOutputs(run.Output.Console, report); // class and score outputs
            }
            else if (report.Overall is not null)
            {
                var table = Styles.Table("Slice", "Rows", "AUC candidate [95% CI]", "AUC champion", "Accuracy", "Log loss", "Gate");
                foreach (var slice in report.Segments.Prepend(report.Overall))
                {
                    table.AddRow(
                        Markup.Escape(slice.Name),
                        slice.Rows.ToString(CultureInfo.InvariantCulture),
                        F(slice.Candidate.Auc) + $" [grey][[{F(slice.Candidate.AucLow)}, {F(slice.Candidate.AucHigh)}]][/]",
                        F(slice.Champion.Auc),
                        $"{F(slice.Candidate.Accuracy)} vs {F(slice.Champion.Accuracy)}",
                        $"{F(slice.Candidate.LogLoss)} vs {F(slice.Champion.LogLoss)}",
                        !slice.Gated ? "[grey]not gated[/]" : slice.Passed ? "[green]ok[/]" : "[red]worse[/]");
                }

                run.Output.Console.Write(table);
            }

            foreach (var reason in report.Reasons)
            {
                run.Output.Line("- " + reason);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ShowPolicy(CliContext context)
    {
        var service = new Argument<string>("service") { Description = "The service" };
        var json = CliContext.JsonOption();
        var command = new Command("show", "Show the policy: triggers, guards, trainer, gate, release template, next scheduled run") { service, json };
        context.SetAction(command, async run =>
        {
            var view = await run.Client.GetRetrainingPolicyAsync(run.Get(service)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(view);
                return ExitCodes.Success;
            }

            var p = view.Policy;
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            grid.AddRow("[bold]Service[/]", Markup.Escape($"{view.Service} (policy revision {view.Revision})"));
            grid.AddRow("[bold]Schedule[/]", p.Schedule is { } s ? Markup.Escape($"{s.Cron} ({s.TimeZone ?? "UTC"}), next {Styles.Time(view.NextScheduled)}") : "[grey]-[/]");
            grid.AddRow("[bold]Data[/]", p.Data is { } d ? $"every {d.NewLabels} new labels" : "[grey]-[/]");
            grid.AddRow("[bold]Performance[/]", p.Performance ? "on (monitors' retrain action)" : "off");
            grid.AddRow("[bold]Guards[/]", Markup.Escape($"one job at a time, cooldown {p.Cooldown ?? RetrainingPolicy.DefaultCooldown}, at most {p.MaxPerDay} a day, {p.MaxAttempts} attempts"));
            grid.AddRow("[bold]Trainer[/]", Markup.Escape(p.Trainer.Kind.ToString().ToLowerInvariant() + (p.Trainer.Command is { } c ? ": " + c : p.Trainer.Url is { } u ? ": " + u : "")));
            var g = p.EffectiveGate;
            grid.AddRow("[bold]Gate[/]", Markup.Escape($"{g.PrimaryMetric} better; AUC drop ≤ {g.MaxAucDrop} overall, ≤ {g.MaxSegmentAucDrop} per segment; holdout {g.HoldoutFraction:P0}"));
            grid.AddRow("[bold]Release[/]", p.ReleaseTemplate is { } t ? Markup.Escape($"template: {t.Strategy.ToString().ToLowerInvariant()}, {t.StepList.Count} steps, {t.TriggerList.Count} triggers, {t.ApprovalList.Count} approval gates") : "[grey]a person starts releases[/]");
            run.Output.Console.Write(grid);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command SetPolicy(CliContext context)
    {
        var service = new Argument<string>("service") { Description = "The service" };
        var file = new Argument<FileInfo>("file") { Description = "The policy, YAML or JSON (docs/retraining.md, \"The policy\")" };
        var json = CliContext.JsonOption();
        var command = new Command("set", "Create or replace a service's retraining policy from a file") { service, file, json };
        context.SetAction(command, async run =>
        {
            var body = ReadFile(run.Get(file)!);
            var view = await run.Client.PutRetrainingPolicyAsync(run.Get(service)!, body, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(view);
                return ExitCodes.Success;
            }

            run.Output.Line($"Retraining policy of {view.Service} set (revision {view.Revision})." + (view.NextScheduled is { } next ? $" Next scheduled run: {Styles.Time(next)}." : ""));
            return ExitCodes.Success;
        });
        return command;
    }

    private static JsonNode ReadFile(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new CliUsageException($"{file.FullName} does not exist");
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(File.ReadAllText(file.FullName)));
        }
        catch (YamlException ex)
        {
            throw new CliFailureException($"{file.Name}, line {ex.Start.Line}: not valid YAML or JSON");
        }

        if (stream.Documents.Count != 1 || Yaml.YamlJson.ToJson(stream.Documents[0].RootNode) is not JsonObject policy)
        {
            throw new CliFailureException($"{file.Name}: expected one policy (a mapping with trainer, schedule, data …)");
        }

        return policy;
    }

    private static string StageText(string stage) => stage switch
    {
        "detection" => "[yellow]detection[/]",
        "trigger" => "[blue]trigger[/]",
        "evaluation" => "[aqua]evaluation[/]",
        "promotion" => "[green]promotion[/]",
        "rollback" => "[red]rollback[/]",
        _ => Markup.Escape(stage),
    };

    private static string F(double value) => value < 0 ? "-" : value.ToString("0.0000", CultureInfo.InvariantCulture);
}
