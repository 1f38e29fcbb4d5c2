using System.Globalization;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Retraining;

namespace Vigil.Cli.Commands;

/// <summary>The evaluation table of <c>vigil models eval</c> for class outputs (accuracy, macro-F1) and score outputs (MAE, RMSE, Spearman).</summary>
internal static class EvaluationTables
{
    public static void PrintOutputs(IAnsiConsole console, EvaluationReport report)
    {
        var scores = report.Overall!.Candidate.Rmse is not null;
        var table = scores
            ? Styles.Table("Slice", "Rows", "MAE", "RMSE", "Spearman", "Gate")
            : Styles.Table("Slice", "Rows", "Accuracy [95% CI]", "Macro-F1", "Gate");
        foreach (var slice in report.Segments.Prepend(report.Overall))
        {
            var gate = !slice.Gated ? "[grey]not gated[/]" : slice.Passed ? "[green]ok[/]" : "[red]worse[/]";
            var rows = slice.Rows.ToString(CultureInfo.InvariantCulture);
            if (scores)
            {
                table.AddRow(Markup.Escape(slice.Name), rows, Pair(slice.Candidate.Mae, slice.Champion.Mae), Pair(slice.Candidate.Rmse, slice.Champion.Rmse),
                    Pair(slice.Candidate.Spearman, slice.Champion.Spearman, signed: true), gate);
            }
            else
            {
                table.AddRow(Markup.Escape(slice.Name), rows,
                    $"{F(slice.Candidate.Accuracy)} [grey][[{F(slice.Candidate.AccuracyLow)}, {F(slice.Candidate.AccuracyHigh)}]][/] vs {F(slice.Champion.Accuracy)}",
                    Pair(slice.Candidate.MacroF1, slice.Champion.MacroF1), gate);
            }
        }

        console.Write(table);
    }

    private static string Pair(double? candidate, double? champion, bool signed = false) => $"{F(candidate, signed)} vs {F(champion, signed)}";

    /// <summary>-1 stands for "undefined" in stored reports, except for a correlation, which may be -1.</summary>
    private static string F(double? value, bool signed = false) =>
        value is { } v && (signed || v >= 0) ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "-";
}
