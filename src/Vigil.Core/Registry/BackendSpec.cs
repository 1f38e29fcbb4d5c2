namespace Vigil.Registry;

/// <summary>How a model version is invoked.</summary>
public enum BackendKind
{
    /// <summary>An ONNX model file run in process by ONNX Runtime.</summary>
    Onnx,
    /// <summary>An ML.NET model file (.zip) run in process.</summary>
    Mlnet,
    /// <summary>A remote model server over HTTP.</summary>
    Http,
}

/// <summary>The wire protocol of an <see cref="BackendKind.Http"/> backend.</summary>
public enum HttpProtocol
{
    /// <summary>Open Inference Protocol v2 (KServe, Triton, MLServer): POST {location}/v2/models/{model}/infer.</summary>
    V2,
    /// <summary>Plain JSON: POST {location} with {"instances": [{feature: value}]} and answer {"predictions": [{...}]}.</summary>
    Json,
}

/// <summary>The backend of a model version.</summary>
/// <param name="Kind">Which backend runs it.</param>
/// <param name="Location">A file path (onnx, mlnet) or a base URL (http).</param>
/// <param name="Protocol">For http: the protocol (default v2).</param>
/// <param name="Model">For http v2: the remote model name (default: the service name).</param>
/// <param name="TimeoutMs">Per-call timeout in milliseconds (default 2,000).</param>
public sealed record BackendSpec(
    BackendKind Kind,
    string Location,
    HttpProtocol? Protocol = null,
    string? Model = null,
    int? TimeoutMs = null)
{
    public const int DefaultTimeoutMs = 2_000;
    public const int MaxTimeoutMs = 120_000;

    public TimeSpan Timeout => TimeSpan.FromMilliseconds(TimeoutMs ?? DefaultTimeoutMs);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Kind))
        {
            errors.Add("backend.kind: must be onnx, mlnet or http");
        }

        if (string.IsNullOrWhiteSpace(Location))
        {
            errors.Add("backend.location: a file path (onnx, mlnet) or a URL (http) is required");
        }
        else if (Location.Length > 4_096)
        {
            errors.Add("backend.location: longer than 4,096 characters");
        }
        else if (Kind == BackendKind.Http
            && (!Uri.TryCreate(Location, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"backend.location: '{Location}' is not an absolute http(s) URL");
        }

        if (Protocol is not null && Kind != BackendKind.Http)
        {
            errors.Add("backend.protocol: applies only to http backends");
        }

        if (TimeoutMs is { } t && (t <= 0 || t > MaxTimeoutMs))
        {
            errors.Add($"backend.timeout_ms: must be between 1 and {MaxTimeoutMs}");
        }

        return errors;
    }
}
