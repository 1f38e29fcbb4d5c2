using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Vigil.Pipelines;

namespace Vigil.Server.Pipelines.Otlp;

/// <summary>
/// Reads an OTLP/HTTP <c>ExportTraceServiceRequest</c> in protobuf or JSON into <see cref="OtlpSpan"/>s. Only the fields Vigil
/// uses are decoded (trace and span ids, name, start time, status code, attributes of the resource and the span); the rest is
/// skipped, as protobuf allows. Field numbers are those of opentelemetry-proto's trace/v1, resource/v1 and common/v1.
/// </summary>
public static class OtlpTraceReader
{
    /// <summary>Decodes the protobuf encoding; throws <see cref="InvalidProtocolBufferException"/> on a malformed body.</summary>
    public static List<OtlpSpan> ReadProtobuf(ReadOnlySpan<byte> body)
    {
        var spans = new List<OtlpSpan>();
        var input = new CodedInputStream(body.ToArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                ReadResourceSpans(input.ReadBytes(), spans);
            }
            else
            {
                input.SkipLastField();
            }
        }

        return spans;
    }

    private static void ReadResourceSpans(ByteString bytes, List<OtlpSpan> spans)
    {
        var input = bytes.CreateCodedInput();
        var resource = new Dictionary<string, object>(StringComparer.Ordinal);
        var scopeSpans = new List<ByteString>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsLengthDelimited(tag):
                    var r = input.ReadBytes().CreateCodedInput();
                    uint rt;
                    while ((rt = r.ReadTag()) != 0)
                    {
                        if (WireFormat.GetTagFieldNumber(rt) == 1 && IsLengthDelimited(rt))
                        {
                            ReadKeyValue(r.ReadBytes(), resource);
                        }
                        else
                        {
                            r.SkipLastField();
                        }
                    }

                    break;
                case 2 when IsLengthDelimited(tag):
                    scopeSpans.Add(input.ReadBytes());
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        foreach (var scope in scopeSpans)
        {
            var s = scope.CreateCodedInput();
            uint st;
            while ((st = s.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(st) == 2 && IsLengthDelimited(st))
                {
                    spans.Add(ReadSpan(s.ReadBytes(), resource));
                }
                else
                {
                    s.SkipLastField();
                }
            }
        }
    }

    private static OtlpSpan ReadSpan(ByteString bytes, Dictionary<string, object> resource)
    {
        var input = bytes.CreateCodedInput();
        var attributes = new Dictionary<string, object>(resource, StringComparer.Ordinal);
        string traceId = string.Empty, spanId = string.Empty, name = string.Empty;
        ulong start = 0;
        var error = false;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsLengthDelimited(tag):
                    traceId = Convert.ToHexStringLower(input.ReadBytes().Span);
                    break;
                case 2 when IsLengthDelimited(tag):
                    spanId = Convert.ToHexStringLower(input.ReadBytes().Span);
                    break;
                case 5 when IsLengthDelimited(tag):
                    name = input.ReadString();
                    break;
                case 7 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Fixed64:
                    start = input.ReadFixed64();
                    break;
                case 9 when IsLengthDelimited(tag):
                    ReadKeyValue(input.ReadBytes(), attributes);
                    break;
                case 15 when IsLengthDelimited(tag):
                    var status = input.ReadBytes().CreateCodedInput();
                    uint t;
                    while ((t = status.ReadTag()) != 0)
                    {
                        if (WireFormat.GetTagFieldNumber(t) == 3 && WireFormat.GetTagWireType(t) == WireFormat.WireType.Varint)
                        {
                            error = status.ReadEnum() == 2;
                        }
                        else
                        {
                            status.SkipLastField();
                        }
                    }

                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return new OtlpSpan(traceId, spanId, name, start, error, attributes);
    }

    private static void ReadKeyValue(ByteString bytes, Dictionary<string, object> into, string prefix = "")
    {
        var input = bytes.CreateCodedInput();
        string? key = null;
        ByteString? value = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsLengthDelimited(tag):
                    key = input.ReadString();
                    break;
                case 2 when IsLengthDelimited(tag):
                    value = input.ReadBytes();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        if (key is not null && value is not null)
        {
            ReadAnyValue(value, prefix + key, into);
        }
    }

    /// <summary>
    /// AnyValue: string (1), bool (2), int64 (3), double (4) are stored under <paramref name="key"/>; an array (5) is
    /// flattened to <c>key.0</c>, <c>key.1</c> … and a map (6) to <c>key.name</c>, the way OpenInference flattens lists
    /// (<c>retrieval.documents.0.document.id</c>), so either encoding maps to the same stage fields. Bytes are not read.
    /// </summary>
    private static void ReadAnyValue(ByteString bytes, string key, Dictionary<string, object> into)
    {
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsLengthDelimited(tag):
                    into[key] = input.ReadString();
                    break;
                case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint:
                    into[key] = input.ReadBool();
                    break;
                case 3 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint:
                    into[key] = input.ReadInt64();
                    break;
                case 4 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Fixed64:
                    into[key] = input.ReadDouble();
                    break;
                case 5 when IsLengthDelimited(tag):
                    var array = input.ReadBytes().CreateCodedInput();
                    var index = 0;
                    uint at;
                    while ((at = array.ReadTag()) != 0)
                    {
                        if (WireFormat.GetTagFieldNumber(at) == 1 && IsLengthDelimited(at))
                        {
                            ReadAnyValue(array.ReadBytes(), $"{key}.{index++}", into);
                        }
                        else
                        {
                            array.SkipLastField();
                        }
                    }

                    break;
                case 6 when IsLengthDelimited(tag):
                    var map = input.ReadBytes().CreateCodedInput();
                    uint mt;
                    while ((mt = map.ReadTag()) != 0)
                    {
                        if (WireFormat.GetTagFieldNumber(mt) == 1 && IsLengthDelimited(mt))
                        {
                            ReadKeyValue(map.ReadBytes(), into, key + ".");
                        }
                        else
                        {
                            map.SkipLastField();
                        }
                    }

                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
    }

    private static bool IsLengthDelimited(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;

    /// <summary>Decodes OTLP/JSON (lowerCamelCase fields, hex ids, 64-bit integers as strings); throws <see cref="JsonException"/> or <see cref="FormatException"/> on a malformed body.</summary>
    public static List<OtlpSpan> ReadJson(JsonElement root)
    {
        var spans = new List<OtlpSpan>();
        if (!root.TryGetProperty("resourceSpans", out var resourceSpans))
        {
            return spans;
        }

        foreach (var rs in resourceSpans.EnumerateArray())
        {
            var resource = new Dictionary<string, object>(StringComparer.Ordinal);
            if (rs.TryGetProperty("resource", out var r) && r.TryGetProperty("attributes", out var ra))
            {
                ReadJsonAttributes(ra, resource);
            }

            if (!rs.TryGetProperty("scopeSpans", out var scopes))
            {
                continue;
            }

            foreach (var scope in scopes.EnumerateArray())
            {
                if (!scope.TryGetProperty("spans", out var list))
                {
                    continue;
                }

                foreach (var span in list.EnumerateArray())
                {
                    var attributes = new Dictionary<string, object>(resource, StringComparer.Ordinal);
                    if (span.TryGetProperty("attributes", out var sa))
                    {
                        ReadJsonAttributes(sa, attributes);
                    }

                    var start = span.TryGetProperty("startTimeUnixNano", out var st)
                        ? (st.ValueKind == JsonValueKind.String ? ulong.Parse(st.GetString()!, CultureInfo.InvariantCulture) : st.GetUInt64())
                        : 0UL;
                    var error = span.TryGetProperty("status", out var status) && status.TryGetProperty("code", out var code)
                        && (code.ValueKind == JsonValueKind.Number ? code.GetInt32() == 2 : code.GetString() == "STATUS_CODE_ERROR");
                    spans.Add(new OtlpSpan(
                        (span.TryGetProperty("traceId", out var tid) ? tid.GetString() ?? string.Empty : string.Empty).ToLowerInvariant(),
                        (span.TryGetProperty("spanId", out var sid) ? sid.GetString() ?? string.Empty : string.Empty).ToLowerInvariant(),
                        span.TryGetProperty("name", out var n) ? n.GetString() ?? string.Empty : string.Empty,
                        start,
                        error,
                        attributes));
                }
            }
        }

        return spans;
    }

    private static void ReadJsonAttributes(JsonElement attributes, Dictionary<string, object> into, string prefix = "")
    {
        foreach (var kv in attributes.EnumerateArray())
        {
            if (kv.TryGetProperty("value", out var v))
            {
                ReadJsonValue(v, prefix + kv.GetProperty("key").GetString()!, into);
            }
        }
    }

    /// <summary>The JSON form of <see cref="ReadAnyValue(ByteString, string, Dictionary{string, object})"/>, flattening arrays and maps the same way.</summary>
    private static void ReadJsonValue(JsonElement v, string key, Dictionary<string, object> into)
    {
        if (v.TryGetProperty("stringValue", out var s))
        {
            into[key] = s.GetString() ?? string.Empty;
        }
        else if (v.TryGetProperty("boolValue", out var b))
        {
            into[key] = b.GetBoolean();
        }
        else if (v.TryGetProperty("intValue", out var i))
        {
            into[key] = i.ValueKind == JsonValueKind.String ? long.Parse(i.GetString()!, CultureInfo.InvariantCulture) : i.GetInt64();
        }
        else if (v.TryGetProperty("doubleValue", out var d))
        {
            into[key] = d.ValueKind == JsonValueKind.String ? double.Parse(d.GetString()!, CultureInfo.InvariantCulture) : d.GetDouble();
        }
        else if (v.TryGetProperty("arrayValue", out var array) && array.TryGetProperty("values", out var values))
        {
            var index = 0;
            foreach (var element in values.EnumerateArray())
            {
                ReadJsonValue(element, $"{key}.{index++}", into);
            }
        }
        else if (v.TryGetProperty("kvlistValue", out var map) && map.TryGetProperty("values", out var entries))
        {
            ReadJsonAttributes(entries, into, key + ".");
        }
    }
}
