using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Vigil.Routing.Flags;

/// <summary>
/// MurmurHash3, x86 32-bit variant (Austin Appleby's reference <c>MurmurHash3_x86_32</c>), the hash of Vigil's
/// bucketing. Allocation-free: text is encoded to UTF-8 on the stack (or in a pooled buffer for long text).
/// Checked against <c>scripts/reference/bucketing_vectors.json</c>.
/// </summary>
public static class Murmur3
{
    /// <summary>Text up to this many UTF-16 characters is encoded on the stack; longer text uses a pooled buffer.</summary>
    internal const int StackChars = 256;

    private const uint C1 = 0xcc9e2d51;
    private const uint C2 = 0x1b873593;

    /// <summary>The 32-bit hash of <paramref name="data"/>.</summary>
    public static uint Hash32(ReadOnlySpan<byte> data, uint seed = 0)
    {
        var h1 = seed;
        var blocks = data.Length >> 2;
        for (var i = 0; i < blocks; i++)
        {
            var k1 = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i << 2, 4));
            k1 *= C1;
            k1 = BitOperations.RotateLeft(k1, 15);
            k1 *= C2;
            h1 ^= k1;
            h1 = BitOperations.RotateLeft(h1, 13);
            h1 = (h1 * 5) + 0xe6546b64;
        }

        var tail = data[(blocks << 2)..];
        uint k = 0;
        switch (tail.Length)
        {
            case 3:
                k ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                k ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                k ^= tail[0];
                k *= C1;
                k = BitOperations.RotateLeft(k, 15);
                k *= C2;
                h1 ^= k;
                break;
        }

        h1 ^= (uint)data.Length;
        return Mix(h1);
    }

    /// <summary>The 32-bit hash of the UTF-8 encoding of <paramref name="text"/> (a lone surrogate encodes as U+FFFD).</summary>
    public static uint Hash32(ReadOnlySpan<char> text, uint seed = 0)
    {
        if (text.Length <= StackChars)
        {
            // Sized to the text (at most 3 UTF-8 bytes per UTF-16 char): stackalloc zeroes what it reserves.
            Span<byte> bytes = stackalloc byte[text.Length * 3];
            var written = Encoding.UTF8.GetBytes(text, bytes);
            return Hash32(bytes[..written], seed);
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var written = Encoding.UTF8.GetBytes(text, rented);
            return Hash32(rented.AsSpan(0, written), seed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }
}
