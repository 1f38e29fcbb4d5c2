namespace Vigil;

/// <summary>The kind of an expected failure; each maps to one HTTP status and one CLI exit path.</summary>
public enum FailureKind
{
    /// <summary>The input is malformed or breaks a rule (HTTP 400 or 422).</summary>
    Invalid,
    /// <summary>A named thing does not exist (HTTP 404).</summary>
    NotFound,
    /// <summary>The change conflicts with the current state, e.g. a duplicate name or a concurrent edit (HTTP 409).</summary>
    Conflict,
    /// <summary>A dependency (a model backend, the store) does not answer (HTTP 503 / 422 at registration).</summary>
    Unavailable,
}

/// <summary>An expected failure, returned rather than thrown. <see cref="Errors"/> lists every problem found, not only the first.</summary>
public sealed record Failure(FailureKind Kind, string Message, IReadOnlyList<string> Errors)
{
    public Failure(FailureKind kind, string message)
        : this(kind, message, [message])
    {
    }

    public static Failure Invalid(string message) => new(FailureKind.Invalid, message);

    public static Failure Invalid(string message, IReadOnlyList<string> errors) => new(FailureKind.Invalid, message, errors);

    public static Failure NotFound(string message) => new(FailureKind.NotFound, message);

    public static Failure Conflict(string message) => new(FailureKind.Conflict, message);

    public static Failure Unavailable(string message) => new(FailureKind.Unavailable, message);
}

/// <summary>Either a value or a <see cref="Failure"/>.</summary>
public readonly record struct Result<T>
{
    private Result(T? value, Failure? failure)
    {
        Value = value;
        Failure = failure;
    }

    public T? Value { get; }

    public Failure? Failure { get; }

    public bool IsSuccess => Failure is null;

    public static Result<T> Ok(T value) => new(value, null);

    public static Result<T> Fail(Failure failure) => new(default, failure);

    public static implicit operator Result<T>(Failure failure) => Fail(failure);

    public T Unwrap() => Failure is null ? Value! : throw new InvalidOperationException(Failure.Message);
}
