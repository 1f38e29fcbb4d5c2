using Google.Protobuf;
using Vigil.Server.Pipelines.Otlp;

namespace Vigil.Server.Tests;

/// <summary>The hand decoder of OTLP protobuf against bytes written field by field with Google.Protobuf's CodedOutputStream.</summary>
public sealed class OtlpTraceReaderTests
{
    [Fact]
    public void ReadProtobuf_ReadsIdsNameStartStatusAndEveryScalarAttribute_SkipsUnknownFields()
    {
        var span = Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom([0xab, 0xcd, 0x01]));
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom([0x0f]));
            o.WriteTag(5, WireFormat.WireType.LengthDelimited);
            o.WriteString("retrieve");
            o.WriteTag(6, WireFormat.WireType.Varint); // kind: not read, skipped
            o.WriteEnum(3);
            o.WriteTag(7, WireFormat.WireType.Fixed64);
            o.WriteFixed64(1_764_000_000_000_000_123);
            WriteAttribute(o, 9, "s", v => { v.WriteTag(1, WireFormat.WireType.LengthDelimited); v.WriteString("text"); });
            WriteAttribute(o, 9, "b", v => { v.WriteTag(2, WireFormat.WireType.Varint); v.WriteBool(true); });
            WriteAttribute(o, 9, "i", v => { v.WriteTag(3, WireFormat.WireType.Varint); v.WriteInt64(-42); });
            WriteAttribute(o, 9, "d", v => { v.WriteTag(4, WireFormat.WireType.Fixed64); v.WriteDouble(0.25); });
            WriteAttribute(o, 9, "vigil.pipeline", v => { v.WriteTag(1, WireFormat.WireType.LengthDelimited); v.WriteString("span-level"); });
            o.WriteTag(15, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(Message(s => { s.WriteTag(3, WireFormat.WireType.Varint); s.WriteEnum(2); }));
        });
        var resource = Message(o => WriteAttribute(o, 1, "vigil.pipeline", v => { v.WriteTag(1, WireFormat.WireType.LengthDelimited); v.WriteString("qa"); }));
        var scopeSpans = Message(o =>
        {
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(span);
        });
        var resourceSpans = Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(resource);
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(scopeSpans);
            o.WriteTag(3, WireFormat.WireType.LengthDelimited);
            o.WriteString("https://opentelemetry.io/schemas/1.26.0");
        });
        var request = Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(resourceSpans);
        });

        var read = Assert.Single(OtlpTraceReader.ReadProtobuf(request.Span));

        Assert.Equal("abcd01", read.TraceId);
        Assert.Equal("0f", read.SpanId);
        Assert.Equal("retrieve", read.Name);
        Assert.Equal(1_764_000_000_000_000_123UL, read.StartUnixNano);
        Assert.True(read.IsError);
        Assert.Equal("text", read.Attributes["s"]);
        Assert.Equal(true, read.Attributes["b"]);
        Assert.Equal(-42L, read.Attributes["i"]);
        Assert.Equal(0.25, read.Attributes["d"]);
        Assert.Equal("span-level", read.Attributes["vigil.pipeline"]); // the span's attribute overrides the resource's
    }

    [Fact]
    public void ReadProtobuf_Truncated_Throws()
    {
        var bytes = Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited);
            o.WriteLength(50);
        });
        Assert.Throws<InvalidProtocolBufferException>(() => OtlpTraceReader.ReadProtobuf(bytes.Span));
    }

    private static void WriteAttribute(CodedOutputStream output, int field, string key, Action<CodedOutputStream> value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Message(kv =>
        {
            kv.WriteTag(1, WireFormat.WireType.LengthDelimited);
            kv.WriteString(key);
            kv.WriteTag(2, WireFormat.WireType.LengthDelimited);
            kv.WriteBytes(Message(value));
        }));
    }

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        write(output);
        output.Flush();
        return ByteString.CopyFrom(stream.ToArray());
    }
}
