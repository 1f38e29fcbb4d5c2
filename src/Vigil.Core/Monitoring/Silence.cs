namespace Vigil.Monitoring;

/// <summary>
/// A silence (docs/monitoring.md): alerts matching every given matcher (service, monitor, subject — a feature or
/// <c>*</c>) between <see cref="StartsAt"/> and <see cref="EndsAt"/> are neither notified nor acted on. Every silence
/// has an author, a comment and an expiry; expiring it early sets <see cref="EndsAt"/> to that moment.
/// </summary>
public sealed record Silence(
    string Id,
    string? Service,
    string? Monitor,
    string? Subject,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    string CreatedBy,
    string Comment,
    DateTimeOffset CreatedAt,
    string? ExpiredBy = null)
{
    /// <summary>The longest a silence may last.</summary>
    public static readonly TimeSpan MaxLength = TimeSpan.FromDays(90);

    /// <summary>Whether the silence is in force at <paramref name="now"/>.</summary>
    public bool IsActive(DateTimeOffset now) => StartsAt <= now && now < EndsAt;

    /// <summary>Whether the silence is in force at <paramref name="now"/> and matches the alert.</summary>
    public bool Matches(string service, string monitor, string subject, DateTimeOffset now) =>
        IsActive(now)
        && (Service is null || Service == service)
        && (Monitor is null || Monitor == monitor)
        && (Subject is null || Subject == subject);

    /// <summary>Every problem with a new silence; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(string? service, string? monitor, string? subject, DateTimeOffset? endsAt, string? comment, DateTimeOffset now)
    {
        var errors = new List<string>();
        if (service is null && monitor is null && subject is null)
        {
            errors.Add("matchers: give at least one of service, monitor, subject (a silence of everything hides every alert)");
        }

        if (endsAt is not { } end)
        {
            errors.Add("ends_at: required; a silence must expire (e.g. \"2026-11-27T09:00:00Z\", at most 90 days ahead)");
        }
        else if (end <= now)
        {
            errors.Add($"ends_at: {end:O} is not in the future (now is {now:O})");
        }
        else if (end - now > MaxLength)
        {
            errors.Add($"ends_at: at most {MaxLength.TotalDays:0} days ahead");
        }

        if (string.IsNullOrWhiteSpace(comment))
        {
            errors.Add("comment: required; say why the alerts are silenced");
        }
        else if (comment.Length > 1000)
        {
            errors.Add("comment: at most 1000 characters");
        }

        return errors;
    }
}
