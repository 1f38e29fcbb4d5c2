using System.CommandLine;
using Spectre.Console;
using Vigil.Cli.Output;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil maturity SERVICE</c>: Level 0, 1 or 2 from Vigil's own records, with evidence and what would move it up.</summary>
internal static class MaturityCommand
{
    public static Command Create(CliContext context)
    {
        var service = new Argument<string>("service") { Description = "The service" };
        var json = CliContext.JsonOption();
        var command = new Command("maturity", "How automatic the service's loop is (Level 0, 1, 2), with the evidence and what would move it up (docs/retraining.md)")
        {
            service, json,
        };
        context.SetAction(command, async run =>
        {
            var view = await run.Client.GetMaturityAsync(run.Get(service)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(view);
                return ExitCodes.Success;
            }

            run.Output.MarkupLine($"[bold]{Markup.Escape(view.Service)}[/]: {Markup.Escape(view.Summary)}");
            var table = Styles.Table("", "Question", "Evidence (last 90 days)");
            foreach (var check in view.Checks)
            {
                table.AddRow(check.Met ? "[green]✓[/]" : "[red]✗[/]", Markup.Escape(check.Question), Markup.Escape(check.Evidence));
            }

            run.Output.Console.Write(table);
            if (view.NextSteps.Count > 0)
            {
                run.Output.Line(view.Level < 2 ? $"To reach Level {view.Level + 1} and beyond:" : "To keep it there:");
                foreach (var step in view.NextSteps)
                {
                    run.Output.Line("- " + step);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
