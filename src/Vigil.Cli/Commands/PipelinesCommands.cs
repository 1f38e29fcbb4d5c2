using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Cli.Pipelines;
using Vigil.Pipelines;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil pipelines apply|list|show|report</c>: pipelines measured stage by stage (docs/pipelines.md).</summary>
internal static class PipelinesCommands
{
    public static Command Create(CliContext context)
    {
        var pipelines = new Command("pipelines", "Declare pipelines and read which stage an end-to-end drop comes from (docs/pipelines.md)");
        pipelines.Add(Apply(context));
        pipelines.Add(List(context));
        pipelines.Add(Show(context));
        pipelines.Add(Report(context));
        pipelines.Add(PipelineStatusCommand.Create(context));
        return pipelines;
    }

    private static Argument<string> NameArgument() => new("pipeline") { Description = "The pipeline's name" };

    private static Command Apply(CliContext context)
    {
        var file = new Option<FileInfo>("--file", "-f") { Description = "The pipeline in YAML or JSON", HelpName = "pipeline.yaml", Required = true };
        var json = CliContext.JsonOption();
        var command = new Command("apply", "Create a pipeline, or store its next revision when the file differs; every mistake is listed and nothing is sent") { file, json };
        context.SetAction(command, async run =>
        {
            var path = run.Get(file)!;
            var (definition, errors) = PipelineFileReader.ReadFile(path.FullName);
            if (definition is null)
            {
                throw new CliFailureException($"{path.Name} is not a valid pipeline ({errors.Count} problem{(errors.Count == 1 ? "" : "s")}); nothing was sent", errors);
            }

            var applied = await run.Client.ApplyPipelineAsync(definition, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(applied);
                return ExitCodes.Success;
            }

            var what = applied.Changed == false ? "unchanged at" : applied.Revision == 1 ? "created," : "updated to";
            run.Output.MarkupLine($"Pipeline [bold]{Markup.Escape(applied.Name)}[/] {what} revision {applied.Revision} ({applied.Definition.Stages.Count} stages).");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CliContext context)
    {
        var json = CliContext.JsonOption();
        var command = new Command("list", "List pipelines: stages, revision, last change") { json };
        context.SetAction(command, async run =>
        {
            var list = await run.Client.ListPipelinesAsync(run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(list);
                return ExitCodes.Success;
            }

            if (list.Pipelines.Count == 0)
            {
                run.Output.Line("No pipelines. Declare one with 'vigil pipelines apply -f pipeline.yaml' (docs/pipelines.md).");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Pipeline", "Stages", "Window", "Revision", "Updated");
            foreach (var p in list.Pipelines)
            {
                table.AddRow(
                    Markup.Escape(p.Name),
                    Markup.Escape(string.Join(" → ", p.Definition.Stages.Select(s => s.Name))),
                    p.Definition.Window ?? "7d",
                    p.Revision.ToString(CultureInfo.InvariantCulture),
                    Styles.Time(p.UpdatedAt));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var name = NameArgument();
        var revision = new Option<long?>("--revision") { Description = "An earlier revision", HelpName = "N" };
        var json = CliContext.JsonOption();
        var command = new Command("show", "Show a pipeline's stages with their metrics, thresholds and windows") { name, revision, json };
        context.SetAction(command, async run =>
        {
            var p = await run.Client.GetPipelineAsync(run.Get(name)!, run.Get(revision), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(p);
                return ExitCodes.Success;
            }

            run.Output.MarkupLine($"[bold]{Markup.Escape(p.Name)}[/] revision {p.Revision}, updated {Styles.Time(p.UpdatedAt)}; end-to-end success: {p.Definition.Success ?? "accepted"}; window {p.Definition.Window ?? "7d"}");
            if (!string.IsNullOrEmpty(p.Definition.Description))
            {
                run.Output.Line(p.Definition.Description);
            }

            var table = Styles.Table("#", "Stage", "Kind", "Metric", "Threshold", "Per request", "Window", "Service");
            var i = 1;
            foreach (var s in p.Definition.Stages)
            {
                table.AddRow(
                    (i++).ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(s.Name),
                    s.Kind,
                    Markup.Escape(s.Metric),
                    Markup.Escape(s.Threshold),
                    Markup.Escape(s.PerRequest ?? (s.Kind == "validation" ? "verdict agrees with human" : s.Threshold)),
                    s.Window ?? "-",
                    Styles.Text(s.Service));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Report(CliContext context)
    {
        var name = NameArgument();
        var window = new Option<string?>("--window") { Description = "The window, ending now (default: the pipeline's, 7d)", HelpName = "7d" };
        var against = new Option<string>("--against")
        {
            Description = "The reference window: previous (the window before) or none",
            HelpName = "previous|none",
            DefaultValueFactory = _ => "previous",
        };
        against.AcceptOnlyFromAmong("previous", "none");
        var json = CliContext.JsonOption();
        var command = new Command("report", "Each stage against its threshold, end-to-end success, and which stage the failures start at") { name, window, against, json };
        context.SetAction(command, async run =>
        {
            var report = await run.Client.GetPipelineReportAsync(run.Get(name)!, run.Get(window), run.Get(against), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(report);
                return ExitCodes.Success;
            }

            Print(run.Output.Console, report);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The report as people read it (also shown by the demo).</summary>
    internal static void Print(IAnsiConsole output, PipelineReport report)
    {
        output.MarkupLine($"[bold]{Markup.Escape(report.Pipeline)}[/] {Styles.Time(report.From)} → {Styles.Time(report.To)}"
            + (report.ReferenceFrom is { } rf ? $", against {Styles.Time(rf)} → {Styles.Time(report.ReferenceTo)}" : string.Empty));
        output.MarkupLine($"[bold]{Markup.Escape(report.Headline)}[/]");
        var table = Styles.Table("Stage", "Metric", "Value", "Threshold", "Status", "Change", "Judged", "E2E when ok", "E2E when failed", "Source");
        foreach (var s in report.Stages)
        {
            table.AddRow(
                Markup.Escape(s.Stage),
                Markup.Escape(s.Metric),
                Num(s.Value),
                Markup.Escape(s.Threshold),
                s.Status switch { StageStatus.Ok => "[green]ok[/]", StageStatus.Breached => "[red bold]breached[/]", _ => "[grey]no data[/]" },
                s.Change is { } c ? c.ToString("+0.000;-0.000;0", CultureInfo.InvariantCulture) : "[grey]-[/]",
                s.Judged.ToString(CultureInfo.InvariantCulture),
                Pct(s.Conditional.SuccessWhenPassed, s.Conditional.Passed),
                Pct(s.Conditional.SuccessWhenFailed, s.Conditional.Failed),
                Styles.Text(s.SourceLabel));
        }

        output.Write(table);
        var e = report.EndToEnd;
        output.WriteLine($"End-to-end success: {(e.SuccessRate is { } r ? Styles.Percent(r) : "n/a")}"
            + (e.ReferenceSuccessRate is { } was ? $" (was {Styles.Percent(was)})" : string.Empty)
            + $" over {e.Successes + e.Failures} judged of {e.Traces} traces; {e.Pending} pending; {report.OrphanJudgments} orphan judgment(s).");
        if (report.Judge is { } j)
        {
            output.WriteLine($"LLM judge {j.Model}: {j.Judged} answer(s) judged, {j.Calls} call(s), {j.CacheHits} from the cache, {j.Samples} sample(s) each"
                + (j.Agreement is { } a ? $", agreement {Styles.Percent(a)}" : string.Empty) + (j.Fallback is { } f ? $"; {f}" : string.Empty));
        }

        if (report.Blame.Count > 0)
        {
            output.WriteLine("Where end-to-end failures start: " + string.Join(", ", report.Blame.Select(b => $"{b.Stage} {Styles.Percent(b.Share)} ({b.Failures})")));
        }
    }

    private static string Num(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "[grey]-[/]";

    private static string Pct(double? value, long n) => value is { } v ? $"{Styles.Percent(v)} (n={n})" : "[grey]-[/]";
}
