using System.Buffers;
using System.Numerics;
using System.Text;

namespace Vigil.Profiles;

/// <summary>
/// An estimate of the number of distinct values: HyperLogLog (Flajolet et al., 2007) with 2^p one-byte registers over
/// the 64-bit MurmurHash3 of each value's UTF-8 bytes, read with Ertl's improved estimator ("New cardinality estimation
/// algorithms for HyperLogLog sketches", 2017), which corrects the small range (it reduces to linear counting when
/// most registers are empty) and the transition range without empirical bias tables.
/// </summary>
/// <remarks>
/// Relative standard error ≈ 1.04 / √m, m = 2^p: 1.63% at the default p = 12 (4 KB of registers). Merge takes the
/// register-wise maximum, so it is exactly commutative, associative and idempotent: the merge of sketches equals the
/// sketch of the union. Serialized sparse (index and value of each non-zero register) while that is smaller.
/// Not thread-safe.
/// </remarks>
public sealed class DistinctCount
{
    /// <summary>The default precision: 4096 registers, 1.63% standard error.</summary>
    public const int DefaultPrecision = 12;

    /// <summary>The smallest precision accepted.</summary>
    public const int MinPrecision = 4;

    /// <summary>The largest precision accepted.</summary>
    public const int MaxPrecision = 16;

    private const byte FormatVersion = 1;
    private const byte Dense = 0;
    private const byte Sparse = 1;

    private readonly byte[] _registers;

    /// <summary>An empty sketch with 2^<paramref name="precision"/> registers.</summary>
    public DistinctCount(int precision = DefaultPrecision)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(precision, MinPrecision);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(precision, MaxPrecision);
        Precision = precision;
        _registers = new byte[1 << precision];
    }

    /// <summary>p: the sketch has 2^p registers.</summary>
    public int Precision { get; }

    /// <summary>The relative standard error of <see cref="Estimate"/>, 1.04 / √(2^p).</summary>
    public double StandardError => 1.04 / Math.Sqrt(_registers.Length);

    /// <summary>A deep copy.</summary>
    public DistinctCount Clone()
    {
        var copy = new DistinctCount(Precision);
        _registers.CopyTo(copy._registers, 0);
        return copy;
    }

    /// <summary>Adds a value (its UTF-8 bytes are hashed).</summary>
    public void Add(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        Span<byte> buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        var length = Encoding.UTF8.GetBytes(value, buffer);
        AddHash(Murmur3x64.Hash(buffer[..length]));
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Adds a value by its 64-bit hash (uniformly distributed bits are assumed).</summary>
    public void AddHash(ulong hash)
    {
        var index = (int)(hash >> (64 - Precision));
        var rest = hash << Precision;
        var maxRank = 64 - Precision + 1;
        var rank = rest == 0 ? maxRank : BitOperations.LeadingZeroCount(rest) + 1;
        if (rank > _registers[index])
        {
            _registers[index] = (byte)rank;
        }
    }

    /// <summary>Takes the register-wise maximum with <paramref name="other"/> (same precision).</summary>
    public void Merge(DistinctCount other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Precision != Precision)
        {
            throw new ArgumentException($"Cannot merge a HyperLogLog with p = {other.Precision} into one with p = {Precision}.", nameof(other));
        }

        var a = _registers.AsSpan();
        var b = other._registers.AsSpan();
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<byte>.Count <= a.Length; i += Vector<byte>.Count)
            {
                Vector.Max(new Vector<byte>(a[i..]), new Vector<byte>(b[i..])).CopyTo(a[i..]);
            }
        }

        for (; i < a.Length; i++)
        {
            a[i] = Math.Max(a[i], b[i]);
        }
    }

    /// <summary>The estimated number of distinct values (Ertl's improved estimator).</summary>
    public double Estimate()
    {
        var q = 64 - Precision;
        var m = (double)_registers.Length;
        Span<int> histogram = stackalloc int[q + 2];
        foreach (var register in _registers)
        {
            histogram[register]++;
        }

        if (histogram[0] == _registers.Length)
        {
            return 0;
        }

        var z = m * Tau(1 - (histogram[q + 1] / m));
        for (var k = q; k >= 1; k--)
        {
            z = 0.5 * (z + histogram[k]);
        }

        z += m * Sigma(histogram[0] / m);
        return m * m / (2 * Math.Log(2) * z);
    }

    private static double Sigma(double x)
    {
        if (x == 1)
        {
            return double.PositiveInfinity;
        }

        double y = 1, z = x, previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        }
        while (z != previous);
        return z;
    }

    private static double Tau(double x)
    {
        if (x is 0 or 1)
        {
            return 0;
        }

        double y = 1, z = 1 - x, previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            z -= (1 - x) * (1 - x) * y;
        }
        while (z != previous);
        return z / 3;
    }

    // ---- serialization ----

    private int NonZeroRegisters()
    {
        var count = 0;
        foreach (var register in _registers)
        {
            if (register != 0)
            {
                count++;
            }
        }

        return count;
    }

    private bool UseSparse(int nonZero) => 3 * nonZero < _registers.Length;

    /// <summary>The exact size of <see cref="Serialize"/>'s output.</summary>
    public int SerializedSize
    {
        get
        {
            var nonZero = NonZeroRegisters();
            return UseSparse(nonZero) ? 3 + ProfileWriter.VarintSize((ulong)nonZero) + (3 * nonZero) : 3 + _registers.Length;
        }
    }

    /// <summary>
    /// The sketch as bytes (version 1): version, precision, encoding, then either every register (dense, one byte each)
    /// or the count of non-zero registers and each one's index (u16) and value (sparse), whichever is smaller.
    /// </summary>
    public byte[] Serialize()
    {
        var bytes = new byte[SerializedSize];
        var writer = new ProfileWriter(bytes);
        WriteTo(ref writer);
        return bytes;
    }

    internal void WriteTo(ref ProfileWriter writer)
    {
        var nonZero = NonZeroRegisters();
        writer.WriteByte(FormatVersion);
        writer.WriteByte((byte)Precision);
        if (UseSparse(nonZero))
        {
            writer.WriteByte(Sparse);
            writer.WriteVarint((ulong)nonZero);
            for (var i = 0; i < _registers.Length; i++)
            {
                if (_registers[i] != 0)
                {
                    writer.WriteUInt16((ushort)i);
                    writer.WriteByte(_registers[i]);
                }
            }
        }
        else
        {
            writer.WriteByte(Dense);
            writer.WriteBytes(_registers);
        }
    }

    /// <summary>Reads a sketch written by <see cref="Serialize"/>; a corrupt blob is a failure.</summary>
    public static Result<DistinctCount> Deserialize(ReadOnlySpan<byte> bytes) =>
        ProfileReader.ReadWhole(bytes, ReadFrom, "HyperLogLog sketch", "sketch");

    internal static DistinctCount? ReadFrom(ref ProfileReader reader)
    {
        reader.ReadVersion(FormatVersion, "HyperLogLog");

        int precision = reader.ReadByte();
        var encoding = reader.ReadByte();
        if (reader.Error is null && precision is < MinPrecision or > MaxPrecision)
        {
            reader.Fail($"the precision is {precision}");
        }

        if (reader.Error is null && encoding > Sparse)
        {
            reader.Fail($"unknown register encoding {encoding}");
        }

        if (reader.Error is not null)
        {
            return null;
        }

        var sketch = new DistinctCount(precision);
        var registers = sketch._registers;
        var maxRank = 64 - precision + 1;
        if (encoding == Dense)
        {
            reader.ReadBytes(registers.Length).CopyTo(registers);
        }
        else
        {
            var nonZero = (int)reader.ReadCount(registers.Length, "the non-zero register count");
            for (var i = 0; i < nonZero && reader.Error is null; i++)
            {
                int index = reader.ReadUInt16();
                var value = reader.ReadByte();
                if (reader.Error is null && (index >= registers.Length || value == 0 || registers[index] != 0))
                {
                    reader.Fail("a sparse register is out of range, zero or repeated");
                }
                else if (reader.Error is null)
                {
                    registers[index] = value;
                }
            }
        }

        foreach (var register in registers)
        {
            if (register > maxRank)
            {
                reader.Fail($"a register holds {register}, more than {maxRank}");
                break;
            }
        }

        return reader.Error is null ? sketch : null;
    }
}
