using Google.Protobuf;

namespace Vigil.Serving.Tests;

/// <summary>
/// Writes a minimal ONNX model by hand (protobuf wire format, ONNX IR 7, opset 13): one float input <c>X</c> of shape
/// [N, F], <c>score = X · W</c> of shape [N, 1]. Stands in for models exported by other tools (sklearn-onnx, PyTorch)
/// that take one feature matrix.
/// </summary>
internal static class TinyOnnxModel
{
    public static void WriteMatMul(string path, string inputName, float[] weights)
    {
        var graph = Message(g =>
        {
            g.WriteTag(1, WireFormat.WireType.LengthDelimited); // node
            g.WriteBytes(Message(n =>
            {
                WriteString(n, 1, inputName);
                WriteString(n, 1, "W");
                WriteString(n, 2, "score");
                WriteString(n, 3, "matmul");
                WriteString(n, 4, "MatMul");
            }));
            WriteString(g, 2, "tiny");
            g.WriteTag(5, WireFormat.WireType.LengthDelimited); // initializer
            g.WriteBytes(Message(t =>
            {
                WriteInt(t, 1, weights.Length);
                WriteInt(t, 1, 1);
                WriteInt(t, 2, 1); // FLOAT
                t.WriteTag(4, WireFormat.WireType.LengthDelimited);
                t.WriteBytes(Message(p => Array.ForEach(weights, p.WriteFloat)));
                WriteString(t, 8, "W");
            }));
            g.WriteTag(11, WireFormat.WireType.LengthDelimited); // input
            g.WriteBytes(ValueInfo(inputName, null, weights.Length));
            g.WriteTag(12, WireFormat.WireType.LengthDelimited); // output
            g.WriteBytes(ValueInfo("score", null, 1));
        });

        var model = Message(m =>
        {
            WriteInt(m, 1, 7); // ir_version
            m.WriteTag(7, WireFormat.WireType.LengthDelimited);
            m.WriteBytes(graph);
            m.WriteTag(8, WireFormat.WireType.LengthDelimited); // opset_import
            m.WriteBytes(Message(o => WriteInt(o, 2, 13)));
        });
        File.WriteAllBytes(path, model.ToByteArray());
    }

    private static ByteString ValueInfo(string name, long? rows, long columns) => Message(v =>
    {
        WriteString(v, 1, name);
        v.WriteTag(2, WireFormat.WireType.LengthDelimited); // type
        v.WriteBytes(Message(type =>
        {
            type.WriteTag(1, WireFormat.WireType.LengthDelimited); // tensor_type
            type.WriteBytes(Message(tensor =>
            {
                WriteInt(tensor, 1, 1); // FLOAT
                tensor.WriteTag(2, WireFormat.WireType.LengthDelimited); // shape
                tensor.WriteBytes(Message(shape =>
                {
                    shape.WriteTag(1, WireFormat.WireType.LengthDelimited);
                    shape.WriteBytes(Message(d =>
                    {
                        if (rows is { } r)
                        {
                            WriteInt(d, 1, r);
                        }
                        else
                        {
                            WriteString(d, 2, "N");
                        }
                    }));
                    shape.WriteTag(1, WireFormat.WireType.LengthDelimited);
                    shape.WriteBytes(Message(d => WriteInt(d, 1, columns)));
                }));
            }));
        }));
    });

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return ByteString.CopyFrom(buffer.ToArray());
    }

    private static void WriteString(CodedOutputStream output, int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    private static void WriteInt(CodedOutputStream output, int field, long value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt64(value);
    }
}
