using System.Text.Json;
using Google.Protobuf;
using Vigil.Server.Pipelines.Otlp;

namespace Vigil.Server.Tests;

/// <summary>Array and map attribute values are flattened the way OpenInference flattens lists, in both encodings.</summary>
public sealed class OtlpTraceReaderTests
{
    [Fact]
    public void Json_ArrayAndMapValues_AreFlattenedToIndexedAndNamedKeys()
    {
        using var document = JsonDocument.Parse("""
            {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "AB", "spanId": "CD", "name": "retrieve", "attributes": [
              {"key": "retrieval.documents", "value": {"arrayValue": {"values": [
                {"kvlistValue": {"values": [{"key": "document.id", "value": {"stringValue": "d1"}}, {"key": "document.score", "value": {"doubleValue": 0.9}}]}},
                {"kvlistValue": {"values": [{"key": "document.id", "value": {"stringValue": "d2"}}, {"key": "document.score", "value": {"intValue": "1"}}]}}]}}},
              {"key": "tag.tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"boolValue": true}]}}}]}]}]}]}
            """);

        var span = Assert.Single(OtlpTraceReader.ReadJson(document.RootElement));

        Assert.Equal("d1", span.Attributes["retrieval.documents.0.document.id"]);
        Assert.Equal(0.9, span.Attributes["retrieval.documents.0.document.score"]);
        Assert.Equal("d2", span.Attributes["retrieval.documents.1.document.id"]);
        Assert.Equal(1L, span.Attributes["retrieval.documents.1.document.score"]);
        Assert.Equal("a", span.Attributes["tag.tags.0"]);
        Assert.Equal(true, span.Attributes["tag.tags.1"]);
        Assert.DoesNotContain("retrieval.documents", span.Attributes.Keys);
    }

    [Fact]
    public void Protobuf_ArrayAndMapValues_AreFlattenedLikeJson()
    {
        // ExportTraceServiceRequest { resource_spans (1) { scope_spans (2) { spans (2) { trace_id (1), span_id (2), name (5), attributes (9) } } } }
        var documents = AnyArray(
            AnyMap(KeyValue("document.id", AnyString("d1")), KeyValue("document.score", AnyDouble(0.9))),
            AnyMap(KeyValue("document.id", AnyString("d2"))));
        var span = Message(
            (1, ByteString.CopyFrom(0xab)),
            (2, ByteString.CopyFrom(0xcd)),
            (5, ByteString.CopyFromUtf8("retrieve")),
            (9, KeyValue("retrieval.documents", documents)),
            (9, KeyValue("tag.tags", AnyArray(AnyString("a"), AnyString("b")))));
        var request = Message((1, Message((2, Message((2, span))))));

        var read = Assert.Single(OtlpTraceReader.ReadProtobuf(request.Span));

        Assert.Equal("ab", read.TraceId);
        Assert.Equal("d1", read.Attributes["retrieval.documents.0.document.id"]);
        Assert.Equal(0.9, read.Attributes["retrieval.documents.0.document.score"]);
        Assert.Equal("d2", read.Attributes["retrieval.documents.1.document.id"]);
        Assert.Equal("b", read.Attributes["tag.tags.1"]);
    }

    private static ByteString Message(params (int Field, ByteString Bytes)[] fields)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        foreach (var (field, bytes) in fields)
        {
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(bytes);
        }

        output.Flush();
        return ByteString.CopyFrom(buffer.ToArray());
    }

    private static ByteString KeyValue(string key, ByteString anyValue) => Message((1, ByteString.CopyFromUtf8(key)), (2, anyValue));

    private static ByteString AnyString(string value) => Message((1, ByteString.CopyFromUtf8(value)));

    private static ByteString AnyArray(params ByteString[] values) => Message((5, Message([.. values.Select(v => (1, v))])));

    private static ByteString AnyMap(params ByteString[] keyValues) => Message((6, Message([.. keyValues.Select(kv => (1, kv))])));

    private static ByteString AnyDouble(double value)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(4, WireFormat.WireType.Fixed64);
        output.WriteDouble(value);
        output.Flush();
        return ByteString.CopyFrom(buffer.ToArray());
    }
}
