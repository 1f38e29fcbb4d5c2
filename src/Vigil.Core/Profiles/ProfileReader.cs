using System.Buffers.Binary;

namespace Vigil.Profiles;

/// <summary>
/// Reads the profile wire format written by <see cref="ProfileWriter"/>. A read past the end or a malformed varint
/// records an error and returns zero instead of throwing, so a corrupt blob from the store becomes a
/// <see cref="Failure"/>: readers check <see cref="Error"/> before trusting what they read.
/// </summary>
internal ref struct ProfileReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public ProfileReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        Error = null;
    }

    /// <summary>The first problem met, or null.</summary>
    public string? Error { get; private set; }

    public readonly int Remaining => _buffer.Length - _position;

    public void Fail(string error) => Error ??= error;

    /// <summary>Reads the format version byte and fails unless it is <paramref name="expected"/>.</summary>
    public void ReadVersion(byte expected, string what)
    {
        var version = ReadByte();
        if (Error is null && version != expected)
        {
            Fail($"unknown {what} format version {version}");
        }
    }

    /// <summary>Reads one whole blob with <paramref name="read"/>: trailing bytes and any read error make it a failure.</summary>
    public static Result<T> ReadWhole<T>(ReadOnlySpan<byte> bytes, ReadFunc<T> read, string what, string noun)
        where T : class
    {
        var reader = new ProfileReader(bytes);
        var value = read(ref reader);
        if (reader.Error is null && reader.Remaining != 0)
        {
            reader.Fail($"{reader.Remaining} bytes follow the {noun}");
        }

        return reader.Error is null ? Result<T>.Ok(value!) : Failure.Invalid($"Not a valid {what}: {reader.Error}.");
    }

    /// <summary>A reader of one part of the format.</summary>
    public delegate T? ReadFunc<T>(ref ProfileReader reader)
        where T : class;

    public byte ReadByte()
    {
        if (!Ensure(1))
        {
            return 0;
        }

        return _buffer[_position++];
    }

    public ushort ReadUInt16()
    {
        if (!Ensure(2))
        {
            return 0;
        }

        var value = BinaryPrimitives.ReadUInt16LittleEndian(_buffer[_position..]);
        _position += 2;
        return value;
    }

    public ulong ReadUInt64()
    {
        if (!Ensure(8))
        {
            return 0;
        }

        var value = BinaryPrimitives.ReadUInt64LittleEndian(_buffer[_position..]);
        _position += 8;
        return value;
    }

    public double ReadDouble()
    {
        if (!Ensure(8))
        {
            return 0;
        }

        var value = BinaryPrimitives.ReadDoubleLittleEndian(_buffer[_position..]);
        _position += 8;
        return value;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            if (Error is not null)
            {
                return 0;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        Fail("a varint is longer than 10 bytes");
        return 0;
    }

    /// <summary>Reads a varint that must be a count in [0, max]; a larger value is an error.</summary>
    public long ReadCount(long max, string what)
    {
        var value = ReadVarint();
        if (value > (ulong)max)
        {
            Fail($"{what} is {value}, more than {max}");
            return 0;
        }

        return (long)value;
    }

    public ReadOnlySpan<byte> ReadBytes(int length)
    {
        if (!Ensure(length))
        {
            return [];
        }

        var bytes = _buffer.Slice(_position, length);
        _position += length;
        return bytes;
    }

    private bool Ensure(int length)
    {
        if (Error is not null)
        {
            return false;
        }

        if (length < 0 || _buffer.Length - _position < length)
        {
            Fail("the data ends early");
            return false;
        }

        return true;
    }
}
