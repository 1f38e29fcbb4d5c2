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

    private static void ReadKeyValue(ByteString bytes, Dictionary<string, object> into)
    {
        var input = bytes.CreateCodedInput();
        string? key = null;
        object? value = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsLengthDelimited(tag):
                    key = input.ReadString();
                    break;
                case 2 when IsLengthDelimited(tag):
                    value = ReadAnyValue(input.ReadBytes());
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        if (key is not null && value is not null)
        {
            into[key] = value;
        }
    }

    /// <summary>AnyValue: string (1), bool (2), int64 (3), double (4); arrays, maps and bytes are not read.</summary>
    private static object? ReadAnyValue(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        object? value = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsLengthDelimited(tag):
                    value = input.ReadString();
                    break;
                case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint:
                    value = input.ReadBool();
                    break;
                case 3 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint:
                    value = input.ReadInt64();
                    break;
                case 4 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Fixed64:
                    value = input.ReadDouble();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return value;
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

    private static void ReadJsonAttributes(JsonElement attributes, Dictionary<string, object> into)
    {
        foreach (var kv in attributes.EnumerateArray())
        {
            var key = kv.GetProperty("key").GetString()!;
            if (!kv.TryGetProperty("value", out var v))
            {
                continue;
            }

            object? value = null;
            if (v.TryGetProperty("stringValue", out var s))
            {
                value = s.GetString();
            }
            else if (v.TryGetProperty("boolValue", out var b))
            {
                value = b.GetBoolean();
            }
            else if (v.TryGetProperty("intValue", out var i))
            {
                value = i.ValueKind == JsonValueKind.String ? long.Parse(i.GetString()!, CultureInfo.InvariantCulture) : i.GetInt64();
            }
            else if (v.TryGetProperty("doubleValue", out var d))
            {
                value = d.ValueKind == JsonValueKind.String ? double.Parse(d.GetString()!, CultureInfo.InvariantCulture) : d.GetDouble();
            }

            if (value is not null)
            {
                into[key] = value;
            }
        }
    }
}
