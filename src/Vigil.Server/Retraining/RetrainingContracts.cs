using System.Text.Json.Nodes;
using Vigil.Retraining;

namespace Vigil.Server.Retraining;

/// <summary>A service's retraining policy with its revision.</summary>
public sealed record RetrainingPolicyView(string Service, RetrainingPolicy Policy, long Revision, DateTimeOffset UpdatedAt, DateTimeOffset? NextScheduled);

/// <summary>POST /v1/retrain: a manual trigger.</summary>
/// <param name="Service">The service to retrain.</param>
/// <param name="Reason">Why (required; it goes into the audit log).</param>
/// <param name="Kind">manual (default), or performance for a monitor or script standing in for one.</param>
/// <param name="Evidence">Numbers behind the trigger, kept with the job.</param>
public sealed record RetrainRequest(string Service, string? Reason = null, string? Kind = null, JsonObject? Evidence = null);

/// <summary>What a trigger became.</summary>
public sealed record TriggerView(string Result, string Message, RetrainJob? Job);

public sealed record JobList(IReadOnlyList<RetrainJob> Jobs);

/// <summary>POST /v1/jobs/{id}/cancel.</summary>
public sealed record CancelJobRequest(string? Reason = null);

/// <summary>One step of a service's loop, from its audit events, jobs and releases.</summary>
/// <param name="At">When.</param>
/// <param name="Stage">detection, trigger, training, evaluation, release, promotion or rollback.</param>
/// <param name="Action">The audit action.</param>
/// <param name="Actor">Who.</param>
/// <param name="Target">What.</param>
/// <param name="Summary">One line.</param>
public sealed record TimelineEntry(DateTimeOffset At, string Stage, string Action, string Actor, string Target, string Summary);

public sealed record TimelineView(string Service, IReadOnlyList<TimelineEntry> Entries);

/// <summary>One question of the maturity report, answered from Vigil's own records.</summary>
public sealed record MaturityCheck(string Question, bool Met, string Evidence);

/// <summary><c>vigil maturity</c>: the service's level (0, 1, 2), the evidence, and what would move it up.</summary>
public sealed record MaturityView(
    string Service,
    int Level,
    string Summary,
    IReadOnlyList<MaturityCheck> Checks,
    double? MedianDetectionToProductionHours,
    double? WorstDetectionToProductionHours,
    double? MedianRollbackSeconds,
    IReadOnlyList<string> NextSteps);
