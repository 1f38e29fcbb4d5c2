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
    public static async ValueTask<(JsonDocument? Document, IResult? Error)> ReadDocumentAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CheckContentType(request) is { } contentTypeError)
        {
            return (null, contentTypeError);
        }

        try
        {
            // The whole body from Kestrel's pipe, then one synchronous parse: a small body is usually complete on the
            // first read, and no stream adapter or parse task is allocated per request. The size limit still applies
            // (Kestrel throws BadHttpRequestException 413 past it).
            var reader = request.BodyReader;
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                if (read.IsCompleted)
                {
                    try
                    {
                        return (ParseWhole(read.Buffer), null);
                    }
                    finally
                    {
                        reader.AdvanceTo(read.Buffer.End);
                    }
                }

                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
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

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// One JSON value that must fill the whole body. <see cref="JsonDocument.ParseValue"/> copies the bytes (the pipe's
    /// memory is returned to Kestrel right after); a second value or trailing garbage throws like a malformed body.
    /// </summary>
    private static JsonDocument ParseWhole(System.Buffers.ReadOnlySequence<byte> body)
    {
        var json = new Utf8JsonReader(body, ReaderOptions);
        var document = JsonDocument.ParseValue(ref json);
        try
        {
            if (json.Read())
            {
                throw new JsonException("the body holds more than one JSON value", null, null, json.BytesConsumed);
            }

            return document;
        }
        catch
        {
            document.Dispose();
            throw;
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
