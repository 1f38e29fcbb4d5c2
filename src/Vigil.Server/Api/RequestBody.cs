using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Vigil.Server.Api;

/// <summary>
/// Reads JSON request bodies with Vigil's conventions and turns every way a body can be wrong into a clear problem:
/// not JSON (415), too large (413), malformed or of the wrong shape (400, with the JSON path and line).
/// </summary>
public static class RequestBody
{
    /// <summary>Reads and deserializes the body as <typeparamref name="T"/>. On failure <c>Error</c> is the problem to return.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CheckContentType(request) is { } contentTypeError)
        {
            return (null, contentTypeError);
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, VigilJson.Options, cancellationToken);
            return value is null
                ? (null, Problems.BadRequest("the body is JSON null; send a JSON object"))
                : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.BadRequest(Describe(ex)));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(request));
        }
    }

    /// <summary>Parses the body into a <see cref="JsonDocument"/> (for endpoints that read it by hand). The caller disposes it.</summary>
    public static async Task<(JsonDocument? Document, IResult? Error)> ReadDocumentAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CheckContentType(request) is { } contentTypeError)
        {
            return (null, contentTypeError);
        }

        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 64 }, cancellationToken);
            return (document, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.BadRequest(Describe(ex)));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(request));
        }
    }

    private static IResult? CheckContentType(HttpRequest request)
    {
        // A declared length over the limit is refused before reading, so a client that sent 'Expect: 100-continue'
        // never uploads the body.
        var limit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        if (request.ContentLength is { } length && limit is { } max && length > max)
        {
            return TooLarge(request);
        }

        var contentType = request.ContentType;
        if (contentType is null
            || !(contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
                 || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase)))
        {
            return Problems.Problem(
                StatusCodes.Status415UnsupportedMediaType,
                Problems.Title(415),
                $"send the body as JSON with 'Content-Type: application/json' (got '{contentType ?? "none"}')");
        }

        return null;
    }

    private static IResult TooLarge(HttpRequest request)
    {
        var limit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        return Problems.Problem(
            StatusCodes.Status413PayloadTooLarge,
            Problems.Title(413),
            limit is { } l
                ? $"the body is larger than the limit of {l:N0} bytes; send smaller batches"
                : "the body is larger than the server's limit; send smaller batches");
    }

    private static string Describe(JsonException ex)
    {
        var where = ex.Path is { Length: > 0 } path ? $" at {path}" : string.Empty;
        var line = ex.LineNumber is { } l ? $" (line {l + 1}, byte {ex.BytePositionInLine + 1})" : string.Empty;

        // System.Text.Json's messages name the .NET type; keep the first sentence, which says what was wrong.
        var message = ex.Message;
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        return $"the body is not valid JSON for this endpoint{where}{line}: {message}";
    }
}
