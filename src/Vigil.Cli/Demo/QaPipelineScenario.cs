using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Vigil.Cli.Commands;
using Vigil.Monitoring;
using Vigil.Pipelines;
using Vigil.Server.Pipelines;

namespace Vigil.Cli.Demo;

/// <summary>
/// A four-stage question-answering pipeline (retrieval → ranking → generation → validation) over two simulated weeks
/// with simulated judgments. In the second week a reranker change puts irrelevant passages first for part of the
/// questions, while retrieval stays as good as before. Generation, fed the wrong passages, answers unfaithfully, and that
/// is what users see: the end-to-end number alone points at generation. The report names ranking first.
/// </summary>
public sealed class QaPipelineScenario : IDemoScenario
{
    public const string PipelineName = "qa";

    /// <summary>Questions per simulated day.</summary>
    public const int QuestionsPerDay = 150;

    /// <summary>The day (0-based, of 14) the reranker change ships.</summary>
    public const int DegradedFromDay = 7;

    /// <summary>The share of questions the broken reranker misorders.</summary>
    public const double MisrankedShare = 0.4;

    public static PipelineDefinition Definition() => new(
        PipelineName,
        [
            new("retrieval", "retrieval", "precision@5", ">= 0.5", PerRequest: ">= 0.4"),
            new("ranking", "ranking", "ndcg@3", ">= 0.8"),
            new("generation", "generation", "faithfulness", ">= 0.85", PerRequest: ">= 0.75"),
            new("validation", "validation", "false_negative_rate", "<= 0.6"),
        ],
        "answers questions about the product docs",
        Window: "7d");

    /// <inheritdoc />
    public string Name => DemoScenarios.QaPipeline;

    /// <summary>Polls the ranking stage's alert until it fires (the stage monitor runs every controller tick of the demo's fast clock), for at most 15 real seconds.</summary>
    private static async Task<StageAlertView?> WaitForRankingAlertAsync(Client.VigilClient api, CancellationToken cancellationToken)
    {
        StageAlertView? ranking = null;
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(15))
        {
            ranking = (await api.GetStageAlertsAsync(PipelineName, cancellationToken)).Stages.FirstOrDefault(s => s.Stage == "ranking");
            if (ranking is { Status.State: AlertState.Firing })
            {
                break;
            }

            await Task.Delay(50, cancellationToken);
        }

        return ranking;
    }

    /// <inheritdoc />
    public string Description => "a retrieval → ranking → generation → validation pipeline where ranking degrades in week two; the report names ranking first";

    /// <inheritdoc />
    public async Task<TrafficReport> RunAsync(DemoContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        var console = context.Console;
        var api = context.Api;
        var applied = await api.ApplyPipelineAsync(Definition(), cancellationToken);
        console.Line($"Declared pipeline '{applied.Name}' (revision {applied.Revision}): retrieval precision@5 ≥ 0.5, ranking nDCG@3 ≥ 0.8, generation faithfulness ≥ 0.85, validation false-negative rate ≤ 0.6.");

        // Two weeks that end now on the demo's clock; the report is read at that end.
        var end = context.Clock.GetUtcNow();
        var start = end - TimeSpan.FromDays(14);
        var random = new Random(unchecked(context.Seed + 500));
        long traces = 0, judged = 0, accepted = 0;
        for (var day = 0; day < 14; day++)
        {
            var batch = new List<PipelineTrace>();
            var judgments = new List<PipelineJudgment>();
            for (var q = 0; q < QuestionsPerDay; q++)
            {
                var at = start + TimeSpan.FromDays(day) + TimeSpan.FromSeconds(86_400.0 * q / QuestionsPerDay);
                var (trace, judgment) = Simulate($"d{day:00}-q{q:000}", at, misranked: day >= DegradedFromDay && random.NextDouble() < MisrankedShare, random);
                batch.Add(trace);
                judgments.Add(judgment);
                accepted += judgment.Accepted == true ? 1 : 0;
            }

            traces += (await api.SendTracesAsync(PipelineName, new TraceBatch(batch), cancellationToken)).Stored;
            judged += (await api.SendJudgmentsAsync(PipelineName, new JudgmentBatch(judgments), cancellationToken)).Stored;
        }

        console.Line($"Sent {traces:N0} traces and {judged:N0} judgments over 14 simulated days; the reranker change shipped on day {DegradedFromDay + 1}.");

        // The ranking stage's daily value against its threshold: where a stage monitor would fire.
        var firstBreach = -1;
        var daily = new List<string>();
        for (var day = 0; day < 14; day++)
        {
            var reading = await api.GetStageMetricAsync(PipelineName, "ranking", start + TimeSpan.FromDays(day), start + TimeSpan.FromDays(day + 1), cancellationToken);
            daily.Add((reading.Value ?? 0).ToString("0.00", CultureInfo.InvariantCulture));
            if (firstBreach < 0 && reading.Status == StageStatus.Breached)
            {
                firstBreach = day;
            }
        }

        console.Line($"Ranking nDCG@3 by day: {string.Join(" ", daily)}" + (firstBreach >= 0 ? $" (first below 0.8 on day {firstBreach + 1})" : string.Empty));

        // The stage monitor on the server's control loop evaluates each stage over its window; wait for its ranking alert.
        var alert = await WaitForRankingAlertAsync(api, cancellationToken);
        if (alert is { Status.State: AlertState.Firing } firing)
        {
            console.MarkupLine("[red bold]Stage breach[/]: " + Markup.Escape(
                $"the ranking stage alert is firing since {firing.Status.FiredAt:yyyy-MM-dd HH:mm}Z: {firing.Metric} = {firing.Value:0.000} "
                + $"on {firing.Judged:N0} judged traces of the last 7 days, threshold {firing.Threshold} (vigil pipelines status qa; GET /v1/alerts)"));
        }
        else
        {
            console.Line($"No stage alert fired for ranking (its alert is {alert?.Status.State.ToString().ToLowerInvariant() ?? "not evaluated yet"}).");
        }

        var report = await api.GetPipelineReportAsync(PipelineName, "7d", "previous", cancellationToken, end);
        var generation = report.Stages.Single(s => s.Stage == "generation");
        console.Line($"End to end: {DemoConsole.Percent(report.EndToEnd.SuccessRate ?? 0)} accepted this week (was {DemoConsole.Percent(report.EndToEnd.ReferenceSuccessRate ?? 0)}); "
            + $"the answers users reject are unfaithful (generation faithfulness {generation.Value:0.00}, was {generation.ReferenceValue:0.00}), so the end-to-end number alone points at generation.");
        PipelinesCommands.Print(console.Ansi, report);
        console.Line($"Read it again with: vigil pipelines report {PipelineName} --window 7d --against previous");
        return new TrafficReport(
            Name,
            start,
            end,
            Stopwatch.GetElapsedTime(started),
            traces,
            0,
            accepted,
            0,
            0,
            0,
            judged,
            0,
            judged,
            0,
            0,
            report.FocusStage == "ranking" ? null : $"the report named {report.FocusStage ?? "no stage"} first, not ranking");
    }

    /// <summary>One question: 5 retrieved passages of which 3 are relevant (sometimes 2); ranked well, or misranked; an answer faithful unless fed the wrong passages (or, rarely, anyway); a validator that catches about half the unfaithful answers; a human verdict.</summary>
    private static (PipelineTrace Trace, PipelineJudgment Judgment) Simulate(string id, DateTimeOffset at, bool misranked, Random random)
    {
        var relevantCount = random.NextDouble() < 0.1 ? 2 : 3;
        var docs = Enumerable.Range(0, 5).Select(i => $"{id}-p{i}").ToArray();
        var relevance = docs.Select((d, i) => (d, grade: i < relevantCount ? (i == 0 ? 2.0 : 1.0) : 0.0)).ToDictionary(x => x.d, x => x.grade, StringComparer.Ordinal);
        var retrieved = docs.OrderBy(_ => random.Next()).Select((d, i) => new StageItem(d, Math.Round(0.9 - (0.1 * i), 2))).ToList();
        var ranked = misranked
            ? [.. docs.OrderBy(d => relevance[d]).ThenBy(d => d, StringComparer.Ordinal)]
            : docs.OrderByDescending(d => relevance[d]).ThenBy(d => d, StringComparer.Ordinal).ToArray();
        var rankedItems = ranked.Select((d, i) => new StageItem(d, Math.Round(1.0 - (0.15 * i), 2))).ToList();
        var unfaithful = misranked ? random.NextDouble() < 0.85 : random.NextDouble() < 0.06;
        var statements = unfaithful
            ? new List<StatementJudgment> { new("s1", true), new("s2", false), new("s3", false) }
            : [new("s1", true), new("s2", true), new("s3", true)];
        var blocked = unfaithful && random.NextDouble() < 0.5;
        var humanAccepts = !unfaithful && random.NextDouble() < 0.97;
        var trace = new PipelineTrace(
            id,
            [
                new("retrieval", Items: retrieved),
                new("ranking", Items: rankedItems),
                new("generation", Output: unfaithful ? "An answer that strays from the passages." : "An answer drawn from the passages."),
                new("validation", Verdict: blocked ? ValidationVerdict.Block : ValidationVerdict.Pass),
            ],
            at);
        return (trace, new PipelineJudgment(id, Relevance: relevance, Statements: statements, Accepted: humanAccepts, Source: "demo-raters"));
    }
}
