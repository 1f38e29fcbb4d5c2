namespace Vigil.Cli.Client;

/// <summary>
/// The Vigil server answered with a non-success status. Carries the RFC 9457 problem details it sent:
/// <see cref="Title"/>, <see cref="Detail"/> and, for validation failures, every error in <see cref="Errors"/>.
/// </summary>
public sealed class VigilApiException : Exception
{
    public VigilApiException(int status, string title, string? detail, IReadOnlyList<string> errors)
        : base(detail is { Length: > 0 } ? $"{title}: {detail}" : title)
    {
        Status = status;
        Title = title;
        Detail = detail;
        Errors = errors;
    }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    /// <summary>The problem's title (short, per status).</summary>
    public string Title { get; }

    /// <summary>The problem's detail: what was wrong and what to do.</summary>
    public string? Detail { get; }

    /// <summary>Every individual error the server listed (validation problems), each as one line; field errors read <c>field: message</c>.</summary>
    public IReadOnlyList<string> Errors { get; }
}
