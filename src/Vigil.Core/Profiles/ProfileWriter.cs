using System.Buffers.Binary;

namespace Vigil.Profiles;

/// <summary>
/// Writes the profile wire format into a span sized beforehand: little-endian fixed-width numbers and unsigned LEB128
/// varints. Callers compute the exact size first (<see cref="VarintSize"/>), so writing never grows or copies.
/// </summary>
internal ref struct ProfileWriter
{
    private readonly Span<byte> _buffer;

    public ProfileWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        Position = 0;
    }

    public int Position { get; private set; }

    public static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    public void WriteByte(byte value) => _buffer[Position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[Position..], value);
        Position += 2;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer[Position..], value);
        Position += 8;
    }

    public void WriteDouble(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer[Position..], value);
        Position += 8;
    }

    public void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer[Position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[Position++] = (byte)value;
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer[Position..]);
        Position += bytes.Length;
    }
}
