using System.Text.Json.Nodes;

namespace Vigil.Retraining;

/// <summary>Why a retraining was asked for: a schedule, a monitor's <c>retrain</c> action, new labels, or a person.</summary>
/// <param name="Service">The service to retrain.</param>
/// <param name="Kind"><c>schedule</c>, <c>performance</c>, <c>data</c> or <c>manual</c>.</param>
/// <param name="Reason">One line a person can read in the audit log, for example "monitor task-completion fired: 0.61 &lt; 0.70".</param>
/// <param name="Actor">Who asked: a key id, or <c>vigil:monitors</c> / <c>vigil:scheduler</c> for the control loop.</param>
/// <param name="Evidence">The numbers behind the trigger (a monitor's value and threshold, a label count), kept with the job.</param>
public sealed record RetrainCause(string Service, string Kind, string Reason, string Actor, JsonObject? Evidence);

/// <summary>
/// The retraining loop's entry point for the rest of Vigil: monitors with a <c>retrain</c> action call it.
/// Implementations coalesce a trigger that arrives while a job runs and apply cooldowns and daily limits.
/// </summary>
public interface IRetrainTrigger
{
    Task TriggerAsync(RetrainCause cause, CancellationToken cancellationToken);
}
