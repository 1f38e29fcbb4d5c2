using Cronos;
using Vigil.Releases;

namespace Vigil.Retraining;

/// <summary>
/// When and how a service is retrained (docs/retraining.md). Several triggers may be on at once (a hybrid policy):
/// a <see cref="Schedule"/>, <see cref="Data"/> (N new labels), <see cref="Performance"/> (a monitor's <c>retrain</c>
/// action through <see cref="IRetrainTrigger"/>) and, always, a manual trigger. Guards apply to every trigger: one job at a
/// time per service (a trigger during a run is recorded and coalesced), a <see cref="Cooldown"/> after a job ends and a
/// <see cref="MaxPerDay"/>. A manual trigger skips the cooldown (it is the emergency trigger) but not the daily maximum.
/// </summary>
/// <param name="Trainer">What retrains.</param>
/// <param name="Schedule">A cron schedule, or null.</param>
/// <param name="Data">Retrain every N newly labelled outcomes since the last training, or null.</param>
/// <param name="Performance">Whether a monitor's <c>retrain</c> action may start a job. Default true.</param>
/// <param name="Cooldown">Least time between the end of a job and the next automatic start. Default 1h.</param>
/// <param name="MaxPerDay">Most jobs started in any 24 hours. Default 4.</param>
/// <param name="Label">The outcome whose value is the training label (true/1 positive). Default <c>label</c>.</param>
/// <param name="MaxAttempts">How many times a job interrupted by a server stop is run in all. Default 2.</param>
/// <param name="Gate">The evaluation gate every new version passes before release.</param>
/// <param name="ReleaseTemplate">The release plan a passing candidate starts (its challenger left null); null: no automatic release.</param>
/// <param name="TrainingWindow">Only requests of this last window are trained on and evaluated on (e.g. "30d", so that the model learns the world as it is now); null: every labelled request (at most 1,000,000, newest first).</param>
public sealed record RetrainingPolicy(
    TrainerSpec Trainer,
    ScheduleTrigger? Schedule = null,
    DataTrigger? Data = null,
    bool Performance = true,
    Duration? Cooldown = null,
    int MaxPerDay = RetrainingPolicy.DefaultMaxPerDay,
    string Label = RetrainingPolicy.DefaultLabel,
    int MaxAttempts = RetrainingPolicy.DefaultMaxAttempts,
    EvaluationGate? Gate = null,
    ReleasePlan? ReleaseTemplate = null,
    Duration? TrainingWindow = null)
{
    public const int DefaultMaxPerDay = 4;
    public const string DefaultLabel = "label";
    public const int DefaultMaxAttempts = 2;

    public static Duration DefaultCooldown { get; } = Duration.Hours(1);

    public TimeSpan EffectiveCooldown => (Cooldown ?? DefaultCooldown).Value;

    public EvaluationGate EffectiveGate => Gate ?? new EvaluationGate();

    /// <summary>The oldest request trained or evaluated on at <paramref name="now"/>, or null for all.</summary>
    public DateTimeOffset? DataSince(DateTimeOffset now) => TrainingWindow is { } w ? now - w.Value : null;

    /// <summary>Every problem of the policy for <paramref name="service"/> (empty when valid).</summary>
    public IReadOnlyList<string> Validate(string service)
    {
        var errors = new List<string>();
        if (Trainer is null)
        {
            errors.Add("trainer: required (kind mlnet, command or webhook)");
        }
        else
        {
            errors.AddRange(Trainer.Validate());
        }

        if (Schedule is not null)
        {
            if (Schedule.Parse(out var error) is null)
            {
                errors.Add(error!);
            }
        }

        if (Data is not null && Data.NewLabels is < 1 or > 100_000_000)
        {
            errors.Add("data.new_labels: must be between 1 and 100,000,000");
        }

        if (Cooldown is { } c && c.Value < TimeSpan.Zero)
        {
            errors.Add("cooldown: must not be negative");
        }

        if (MaxPerDay is < 1 or > 1_000)
        {
            errors.Add("max_per_day: must be between 1 and 1,000");
        }

        if (string.IsNullOrWhiteSpace(Label) || Label.Length > 64)
        {
            errors.Add("label: the name of an outcome (1–64 characters)");
        }

        if (MaxAttempts is < 1 or > 10)
        {
            errors.Add("max_attempts: must be between 1 and 10");
        }

        if (TrainingWindow is { } w && w.Value <= TimeSpan.Zero)
        {
            errors.Add("training_window: must be positive, e.g. \"30d\"");
        }

        errors.AddRange(EffectiveGate.Validate());
        if (ReleaseTemplate is not null)
        {
            if (ReleaseTemplate.Service != service)
            {
                errors.Add($"release_template.service: must be '{service}'");
            }

            if (ReleaseTemplate.Challenger is not null)
            {
                errors.Add("release_template.challenger: leave it out; the candidate that passes the gate fills it");
            }

            errors.AddRange(ReleasePlanValidator.Validate(ReleaseTemplate with { Challenger = 1 }).Select(e => "release_template: " + e));
        }

        return errors;
    }
}

/// <summary>A cron schedule (five fields, or six with seconds) in a time zone (IANA id, default UTC).</summary>
public sealed record ScheduleTrigger(string Cron, string? TimeZone = null)
{
    /// <summary>The next occurrence strictly after <paramref name="after"/>, or null when there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        var parsed = Parse(out _) ?? throw new InvalidOperationException("the schedule is invalid");
        return parsed.Expression.GetNextOccurrence(after, parsed.Zone);
    }

    /// <summary>The parsed expression and zone, or null with <paramref name="error"/> saying what is wrong.</summary>
    public (CronExpression Expression, TimeZoneInfo Zone)? Parse(out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(Cron))
        {
            error = "schedule.cron: required, for example \"0 3 * * *\" (every day at 03:00)";
            return null;
        }

        CronExpression expression;
        try
        {
            var fields = Cron.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            expression = CronExpression.Parse(Cron.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            error = $"schedule.cron: '{Cron}' is not a cron expression ({ex.Message}); use five fields: minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\"";
            return null;
        }

        var zone = TimeZoneInfo.Utc;
        if (!string.IsNullOrWhiteSpace(TimeZone))
        {
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out var found))
            {
                error = $"schedule.time_zone: '{TimeZone}' is not a known time zone; use an IANA id such as Europe/Berlin or UTC";
                return null;
            }

            zone = found;
        }

        return (expression, zone);
    }
}

/// <summary>Retrain every <paramref name="NewLabels"/> labelled outcomes received since the last training started.</summary>
public sealed record DataTrigger(int NewLabels);

/// <summary>The trainers Vigil runs.</summary>
public enum TrainerKind
{
    /// <summary>The built-in ML.NET trainer: trains on the logged labelled production data and registers the model.</summary>
    Mlnet,
    /// <summary>A process: <c>{data}</c> and <c>{output}</c> in its arguments are replaced by the exported data file and the model path.</summary>
    Command,
    /// <summary>A POST of the job to a URL; the external system registers the model with <c>metadata.job_id</c>.</summary>
    Webhook,
}

/// <summary>What retrains a service.</summary>
/// <param name="Kind">mlnet, command or webhook.</param>
/// <param name="Command">For command: the command line, e.g. <c>python3 train.py --data {data} --out {output}</c>.</param>
/// <param name="Backend">For command: what the trainer writes to <c>{output}</c>, <c>mlnet</c> (a .zip) or <c>onnx</c>. Default mlnet.</param>
/// <param name="Format">For command: the format of <c>{data}</c>, <c>csv</c> or <c>parquet</c>. Default csv.</param>
/// <param name="Url">For webhook: where the job is POSTed.</param>
/// <param name="Timeout">How long a job may run (command: until the process exits; webhook: until the version is registered). Default 30m.</param>
public sealed record TrainerSpec(
    TrainerKind Kind,
    string? Command = null,
    string? Backend = null,
    string? Format = null,
    string? Url = null,
    Duration? Timeout = null)
{
    public static Duration DefaultTimeout { get; } = Duration.Minutes(30);

    public TimeSpan EffectiveTimeout => (Timeout ?? DefaultTimeout).Value;

    public string EffectiveBackend => Backend ?? "mlnet";

    public string EffectiveFormat => Format ?? "csv";

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Kind))
        {
            errors.Add("trainer.kind: must be mlnet, command or webhook");
        }

        if (Kind == TrainerKind.Command)
        {
            if (string.IsNullOrWhiteSpace(Command))
            {
                errors.Add("trainer.command: required for a command trainer, e.g. \"python3 train.py --data {data} --out {output}\"");
            }
            else if (!Command.Contains("{output}", StringComparison.Ordinal))
            {
                errors.Add("trainer.command: must contain {output}, the path where the trainer writes the model");
            }
        }
        else if (Command is not null)
        {
            errors.Add("trainer.command: applies only to a command trainer");
        }

        if (Backend is not null and not ("mlnet" or "onnx"))
        {
            errors.Add("trainer.backend: mlnet or onnx");
        }

        if (Format is not null and not ("csv" or "parquet"))
        {
            errors.Add("trainer.format: csv or parquet");
        }

        if (Kind == TrainerKind.Webhook)
        {
            if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add("trainer.url: an absolute http(s) URL is required for a webhook trainer");
            }
        }
        else if (Url is not null)
        {
            errors.Add("trainer.url: applies only to a webhook trainer");
        }

        if (Timeout is { } t && (t.Value <= TimeSpan.Zero || t.Value > TimeSpan.FromDays(7)))
        {
            errors.Add("trainer.timeout: between 1s and 7d");
        }

        return errors;
    }
}
