using Microsoft.AspNetCore.Http.HttpResults;

namespace Vigil.Server.Api;

/// <summary>RFC 9457 problem details for every error Vigil's HTTP API returns, with a detail a person can act on.</summary>
public static class Problems
{
    public static IResult From(Failure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var status = failure.Kind switch
        {
            FailureKind.NotFound => StatusCodes.Status404NotFound,
            FailureKind.Conflict => StatusCodes.Status409Conflict,
            FailureKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status422UnprocessableEntity,
        };
        if (failure.Kind == FailureKind.Invalid && failure.Errors.Count > 0)
        {
            return Validation(failure.Message, failure.Errors, status);
        }

        return Problem(status, Title(status), failure.Message);
    }

    public static IResult Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);

    /// <summary>A validation problem: <c>errors</c> lists every error found, under the key <c>""</c> when not tied to a field.</summary>
    public static ProblemHttpResult Validation(string detail, IReadOnlyList<string> errors, int status = StatusCodes.Status422UnprocessableEntity) =>
        TypedResults.Problem(
            detail: detail,
            statusCode: status,
            title: Title(status),
            extensions: new Dictionary<string, object?> { ["errors"] = errors });

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, Title(404), detail);

    public static IResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, Title(400), detail);

    public static string Title(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        413 => "Request body too large",
        415 => "Unsupported media type",
        422 => "Invalid input",
        502 => "Model backend failed",
        503 => "Unavailable",
        _ => "Error",
    };
}
