using System.Globalization;

namespace Vigil.Pipelines;

/// <summary>The status of a stage's window value against its threshold.</summary>
public enum StageStatus
{
    /// <summary>Meets its threshold.</summary>
    Ok,

    /// <summary>Does not meet its threshold.</summary>
    Breached,

    /// <summary>No judged request in the window.</summary>
    NoData,
}

/// <summary>End-to-end success in the window and the reference window.</summary>
public sealed record EndToEndView(long Traces, long Successes, long Failures, long Pending, double? SuccessRate, double? ReferenceSuccessRate, double? Change);

/// <summary>End-to-end success among requests where the stage met its per-request bar, and where it did not.</summary>
public sealed record ConditionalView(double? SuccessWhenPassed, long Passed, double? SuccessWhenFailed, long Failed);

/// <summary>One stage in a report.</summary>
public sealed record StageReport(
    string Stage,
    StageKind Kind,
    string Metric,
    string Threshold,
    double? Value,
    StageStatus Status,
    long Judged,
    long Passed,
    long Failed,
    double? ReferenceValue,
    double? Change,
    IReadOnlyDictionary<string, long> Sources,
    string? SourceLabel,
    ConditionalView Conditional,
    string? Service);

/// <summary>The share of the window's end-to-end failures that start at a stage (or at none: <see cref="PipelineEvaluator.Unattributed"/>).</summary>
public sealed record BlameShare(string Stage, long Failures, double Share);

/// <summary>The attribution report of a pipeline over a window (docs/pipelines.md, "The report").</summary>
public sealed record PipelineReport(
    string Pipeline,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset? ReferenceFrom,
    DateTimeOffset? ReferenceTo,
    EndToEndView EndToEnd,
    IReadOnlyList<StageReport> Stages,
    IReadOnlyList<BlameShare> Blame,
    string? FocusStage,
    string Headline,
    long OrphanJudgments,
    JudgeReport? Judge = null);

/// <summary>What the LLM judge did for a report: calls made, answers served from the cache, samples per answer, their agreement, answers left to the lexical estimate by the cost cap, and why it fell back when it did.</summary>
public sealed record JudgeReport(string Model, int Samples, long Calls, long CacheHits, long Judged, double? Agreement, long SkippedByCap, string? Fallback);

/// <summary>Builds a <see cref="PipelineReport"/> from the evaluations of a window and its reference window.</summary>
public static class PipelineReportBuilder
{
    public static PipelineReport Build(
        CompiledPipeline pipeline,
        (DateTimeOffset From, DateTimeOffset To) window,
        PipelineEvaluator current,
        (DateTimeOffset From, DateTimeOffset To)? referenceWindow,
        PipelineEvaluator? reference,
        long orphanJudgments)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(current);
        var stages = new List<StageReport>();
        for (var i = 0; i < pipeline.Stages.Count; i++)
        {
            var stage = pipeline.Stages[i];
            var value = current.Stage(i);
            var before = reference?.Stage(i);
            var (sp, np, sf, nf) = current.Conditional(i);
            stages.Add(new StageReport(
                stage.Name,
                stage.Kind,
                stage.Metric.ToString(),
                stage.Threshold.ToString(),
                value.Value,
                value.Value is { } v ? (stage.Threshold.IsMet(v) ? StageStatus.Ok : StageStatus.Breached) : StageStatus.NoData,
                value.Judged,
                value.Passed,
                value.Failed,
                before?.Value,
                value.Value is { } a && before?.Value is { } b ? a - b : null,
                value.Sources,
                SourceLabel(value.Sources),
                new ConditionalView(np == 0 ? null : sp / (double)np, np, nf == 0 ? null : sf / (double)nf, nf),
                stage.Service));
        }

        var failures = current.Failures;
        var blame = current.Blame.Select(b => new BlameShare(b.Key, b.Value, failures == 0 ? 0 : b.Value / (double)failures)).ToList();
        var endToEnd = new EndToEndView(
            current.Traces,
            current.Successes,
            current.Failures,
            current.Pending,
            current.SuccessRate,
            reference?.SuccessRate,
            current.SuccessRate is { } s && reference?.SuccessRate is { } r ? s - r : null);
        var (focus, headline) = Headline(stages, blame, endToEnd, window.To - window.From);
        return new PipelineReport(
            pipeline.Name,
            window.From,
            window.To,
            referenceWindow?.From,
            referenceWindow?.To,
            endToEnd,
            stages,
            blame,
            focus,
            headline,
            orphanJudgments);
    }

    /// <summary>"judgments" or "lexical-estimate", or a mix such as "judgments 80%, lexical-estimate 20%"; null when the stage has no sourced value.</summary>
    public static string? SourceLabel(IReadOnlyDictionary<string, long> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var total = sources.Values.Sum();
        if (total == 0)
        {
            return null;
        }

        return sources.Count == 1
            ? sources.Keys.Single()
            : string.Join(", ", sources.OrderByDescending(s => s.Value).Select(s => $"{s.Key} {100.0 * s.Value / total:0}%"));
    }

    /// <summary>
    /// The stage to look at first: the one where most end-to-end failures start; when there are no attributed failures, the
    /// first breached stage in order; else none.
    /// </summary>
    private static (string? Focus, string Headline) Headline(List<StageReport> stages, List<BlameShare> blame, EndToEndView endToEnd, TimeSpan window)
    {
        var e2e = endToEnd.SuccessRate is { } rate
            ? $"end-to-end success {Pct(rate)}{(endToEnd.ReferenceSuccessRate is { } r ? $" (was {Pct(r)})" : string.Empty)}"
            : "no end-to-end verdict yet";
        var top = blame.FirstOrDefault(b => b.Stage != PipelineEvaluator.Unattributed);
        var focus = top is not null ? stages.First(s => s.Stage == top.Stage) : stages.FirstOrDefault(s => s.Status == StageStatus.Breached);
        if (focus is null)
        {
            var breachedNone = stages.All(s => s.Status != StageStatus.Breached);
            return (null, breachedNone ? $"Every stage is within its threshold; {e2e}." : $"{e2e}.");
        }

        var text = $"Look at {focus.Stage} first: ";
        if (top is not null)
        {
            text += $"{Pct(top.Share)} of the {Span(window)}'s end-to-end failures start at {focus.Stage} ({top.Failures} of {endToEnd.Failures}); ";
        }

        text += $"{focus.Metric} is {Num(focus.Value)}{(focus.ReferenceValue is { } was ? $" (was {Num(was)})" : string.Empty)}, threshold {focus.Threshold}, {Status(focus.Status)}";
        if (focus.Conditional is { SuccessWhenPassed: { } p, SuccessWhenFailed: { } f })
        {
            text += $"; end-to-end success is {Pct(f)} when {focus.Stage} fails its per-request bar and {Pct(p)} when it meets it";
        }

        return (focus.Stage, text + $"; {e2e}.");
    }

    private static string Status(StageStatus status) => status switch
    {
        StageStatus.Ok => "within it",
        StageStatus.Breached => "breached",
        _ => "no data",
    };

    private static string Span(TimeSpan window) => window.TotalDays switch
    {
        7 => "week",
        1 => "day",
        _ => "window",
    };

    private static string Pct(double share) => (share * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    private static string Num(double? value) => value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
}
