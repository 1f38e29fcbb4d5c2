using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vigil.Cli.Commands;
using Vigil.Cli.Output;
using Vigil.Pipelines;

namespace Vigil.Cli.Pipelines;

/// <summary>
/// <c>vigil analyze ranking --input judged.jsonl --k 10 [--json]</c>: precision@K, recall@K, hit rate, MRR, nDCG@K and
/// MAP@K of judged queries, offline (docs/pipelines.md, "Offline ranking analysis"). Exit 1 when the file cannot be read
/// or has bad lines (every bad line is listed), 2 on usage errors.
/// </summary>
internal static class AnalyzeRankingCommand
{
    public static Command Create(CliContext context)
    {
        var input = new Option<string>("--input")
        {
            Description = "Judged queries, JSON Lines: {\"query_id\": \"q1\", \"results\": [{\"id\": \"d3\", \"score\": 0.91, \"relevance\": 2}, …], \"relevant_total\": 4}",
            HelpName = "file",
            Required = true,
        };
        var k = new Option<int>("--k")
        {
            Description = "The cut-off K (default 10)",
            HelpName = "K",
            DefaultValueFactory = _ => 10,
        };
        k.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError($"--k: must be at least 1 (got {result.GetValueOrDefault<int>()})");
            }
        });
        var json = CliContext.JsonOption();
        var command = new Command("ranking", "Precision@K, recall@K, hit rate, MRR, nDCG@K (as scikit-learn) and MAP@K of judged queries")
        {
            input, k, json,
        };
        context.SetAction(command, async run =>
        {
            var path = run.Get(input)!;
            List<JudgedQuery> queries;
            List<string> errors;
            try
            {
                using var reader = new StringReader(await File.ReadAllTextAsync(path, run.CancellationToken));
                (queries, errors) = JudgedQueryReader.Read(reader);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliFailureException($"cannot read {path}: {ex.Message}");
            }

            if (errors.Count > 0)
            {
                throw new CliFailureException($"{path} has {errors.Count} problem(s); fix them and run again", errors);
            }

            if (queries.Count == 0)
            {
                throw new CliFailureException($"{path} holds no query; write one JSON object per line");
            }

            var report = RankingAnalysis.Analyze(queries, run.Get(k));
            if (run.Get(json))
            {
                run.Output.Json(report);
                return ExitCodes.Success;
            }

            Print(run.Output, report);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Print(CliOutput output, RankingAnalysisReport report)
    {
        var table = Styles.Table("Query", "Results", $"P@{report.K}", $"R@{report.K}", $"Hit@{report.K}", "RR", $"nDCG@{report.K}", $"AP@{report.K}");
        foreach (var q in report.PerQuery)
        {
            table.AddRow(Styles.Text(q.QueryId), q.Results.ToString(CultureInfo.InvariantCulture), N(q.PrecisionAtK), N(q.RecallAtK), N(q.HitRateAtK), N(q.ReciprocalRank), N(q.NdcgAtK), N(q.AveragePrecisionAtK));
        }

        var m = report.Mean;
        table.AddRow("[bold]mean[/]", report.Queries.ToString(CultureInfo.InvariantCulture), N(m.PrecisionAtK), N(m.RecallAtK), N(m.HitRateAtK), N(m.Mrr), N(m.NdcgAtK), N(m.MapAtK));
        output.Console.Write(table);
        output.Line($"{report.Queries} queries at K = {report.K}; recall over the {report.RecallQueries} with relevant_total. Definitions: docs/pipelines.md.");
    }

    private static string N(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "[grey]-[/]";
}
