using System.Buffers.Binary;
using System.Numerics;

namespace Vigil.Profiles;

/// <summary>
/// MurmurHash3 x64 128-bit (Austin Appleby's reference <c>MurmurHash3_x64_128</c>), the hash DataSketches' HLL uses.
/// Stable across processes and machines, unlike <see cref="string.GetHashCode()"/>, so serialized sketches merge.
/// </summary>
internal static class Murmur3x64
{
    private const ulong C1 = 0x87c37b91114253d5UL;
    private const ulong C2 = 0x4cf5ad432745937fUL;

    /// <summary>The first 64 bits (h1) of the 128-bit hash of <paramref name="data"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        var h1 = seed;
        var h2 = seed;
        var blocks = data.Length / 16;
        for (var i = 0; i < blocks; i++)
        {
            var k1 = BinaryPrimitives.ReadUInt64LittleEndian(data[(i * 16)..]);
            var k2 = BinaryPrimitives.ReadUInt64LittleEndian(data[((i * 16) + 8)..]);
            h1 ^= MixK1(k1);
            h1 = BitOperations.RotateLeft(h1, 27) + h2;
            h1 = (h1 * 5) + 0x52dce729;
            h2 ^= MixK2(k2);
            h2 = BitOperations.RotateLeft(h2, 31) + h1;
            h2 = (h2 * 5) + 0x38495ab5;
        }

        var tail = data[(blocks * 16)..];
        ulong t1 = 0, t2 = 0;
        for (var j = 0; j < tail.Length; j++)
        {
            if (j < 8)
            {
                t1 ^= (ulong)tail[j] << (8 * j);
            }
            else
            {
                t2 ^= (ulong)tail[j] << (8 * (j - 8));
            }
        }

        if (tail.Length > 8)
        {
            h2 ^= MixK2(t2);
        }

        if (tail.Length > 0)
        {
            h1 ^= MixK1(t1);
        }

        h1 ^= (ulong)data.Length;
        h2 ^= (ulong)data.Length;
        h1 += h2;
        h2 += h1;
        h1 = FMix(h1);
        h2 = FMix(h2);
        h1 += h2;
        return h1;
    }

    private static ulong MixK1(ulong k) => BitOperations.RotateLeft(k * C1, 31) * C2;

    private static ulong MixK2(ulong k) => BitOperations.RotateLeft(k * C2, 33) * C1;

    private static ulong FMix(ulong k)
    {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdUL;
        k ^= k >> 33;
        k *= 0xc4ceb9fe1a85ec53UL;
        k ^= k >> 33;
        return k;
    }
}
