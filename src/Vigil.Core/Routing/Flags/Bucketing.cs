using System.Buffers;

namespace Vigil.Routing.Flags;

/// <summary>
/// Sticky assignment of requests to cohorts (DESIGN.md, "Metric conventions"): murmur3 (x86, 32-bit, seed 0) over the
/// UTF-8 bytes of <c>salt + key</c>; <c>bucket = (hash × 1,000,000) &gt;&gt; 32</c>, in parts per million (0 … 999,999);
/// a request is in a cohort of weight <c>w</c> ppm when <c>bucket &lt; w</c>. The salt is the flag key or the release id.
/// </summary>
/// <remarks>
/// Guarantees: the same salt and key always give the same bucket, in every process and version of Vigil; a key in the
/// cohort at weight <c>w1</c> is in it at every <c>w2 ≥ w1</c> (monotone); weight 0 contains no key and weight
/// 1,000,000 every key; buckets are uniform over keys, and independent between salts.
/// </remarks>
public static class Bucketing
{
    /// <summary>The number of buckets: weights and buckets are in parts per million.</summary>
    public const int Scale = 1_000_000;

    /// <summary>Parts per million in one percent.</summary>
    public const int PpmPerPercent = Scale / 100;

    /// <summary>The bucket (0 … 999,999) of a 32-bit hash: <c>(hash × 1,000,000) &gt;&gt; 32</c> in unsigned 64-bit arithmetic.</summary>
    public static int FromHash(uint hash) => (int)(((ulong)hash * Scale) >> 32);

    /// <summary>The bucket (0 … 999,999) of <paramref name="key"/> under <paramref name="salt"/>. Allocation-free.</summary>
    public static int Bucket(ReadOnlySpan<char> salt, ReadOnlySpan<char> key)
    {
        // Hash the UTF-8 of the concatenated text (not of each part), so a surrogate pair split across salt and key still
        // encodes as one code point, exactly as utf8(salt + key).
        var length = salt.Length + key.Length;
        if (length <= Murmur3.StackChars)
        {
            Span<char> text = stackalloc char[length];
            salt.CopyTo(text);
            key.CopyTo(text[salt.Length..]);
            return FromHash(Murmur3.Hash32(text));
        }

        var rented = ArrayPool<char>.Shared.Rent(length);
        try
        {
            salt.CopyTo(rented);
            key.CopyTo(rented.AsSpan(salt.Length));
            return FromHash(Murmur3.Hash32(rented.AsSpan(0, length)));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>True when <paramref name="key"/> is in the cohort of <paramref name="weightPpm"/> parts per million under <paramref name="salt"/>.</summary>
    public static bool IsIn(ReadOnlySpan<char> salt, ReadOnlySpan<char> key, int weightPpm) =>
        weightPpm >= Scale || (weightPpm > 0 && Bucket(salt, key) < weightPpm);

    /// <summary>
    /// Converts a percentage (0–100) to parts per million. False when it is not finite, outside 0–100, or finer than
    /// 1 ppm (0.0001%).
    /// </summary>
    public static bool TryPercentToPpm(double percent, out int ppm)
    {
        ppm = 0;
        if (!double.IsFinite(percent) || percent < 0 || percent > 100)
        {
            return false;
        }

        var scaled = percent * PpmPerPercent;
        var rounded = Math.Round(scaled);
        if (Math.Abs(scaled - rounded) > 1e-6)
        {
            return false;
        }

        ppm = (int)rounded;
        return true;
    }

    /// <summary>Converts parts per million to a percentage.</summary>
    public static double PpmToPercent(int ppm) => (double)ppm / PpmPerPercent;
}
