using System.Runtime.InteropServices;
using System.Text;

namespace Vigil.Profiles;

/// <summary>One item of a <see cref="FrequentItems"/> summary with the bounds on its true count.</summary>
/// <param name="Item">The value (truncated to <see cref="FrequentItems.MaxItemLength"/> characters).</param>
/// <param name="LowerBound">The counter: the true count is at least this.</param>
/// <param name="UpperBound">The counter plus the summary's maximum error: the true count is at most this.</param>
public readonly record struct FrequentItem(string Item, long LowerBound, long UpperBound);

/// <summary>
/// The most frequent values of a categorical feature: the Misra–Gries summary with k counters, merged as Agarwal et al.
/// ("Mergeable Summaries", 2012) show, and tracking the total decrement as DataSketches' frequent-items sketch does.
/// </summary>
/// <remarks>
/// <para>
/// Guarantee, for any sequence of updates and merges: for every value x with true count f(x),
/// LowerBound(x) ≤ f(x) ≤ LowerBound(x) + <see cref="MaximumError"/>, and MaximumError ≤ (N − Σ counters) / (k + 1)
/// ≤ N / (k + 1). Any value with a share above 1 / (k + 1) is therefore always tracked. A summary that has seen at most
/// k + k/4 distinct values (and was not reduced by a merge) counts exactly.
/// </para>
/// <para>
/// Between reductions the table holds up to k + k/4 counters (so an update costs amortized O(log k)); a reduction subtracts the
/// (k+1)-th largest counter from all and drops those that reach zero, leaving at most k. The serialized form is
/// always reduced to at most k counters. Values longer than <see cref="MaxItemLength"/> characters are truncated, so
/// a summary's size is bounded. Not thread-safe.
/// </para>
/// </remarks>
public sealed class FrequentItems
{
    /// <summary>
    /// The default number of counters k: values above a 1/49 share (≈2%) are always kept, and a profile stays under 16 KB
    /// in memory even when every counter holds a 64-character value.
    /// </summary>
    public const int DefaultCapacity = 48;

    /// <summary>The longest value kept, in UTF-16 characters; longer values are truncated.</summary>
    public const int MaxItemLength = 64;

    /// <summary>The largest capacity accepted.</summary>
    public const int MaxCapacity = 4096;

    private const byte FormatVersion = 1;

    private readonly Dictionary<string, long> _counters;

    /// <summary>An empty summary with <paramref name="capacity"/> counters (at least 1).</summary>
    public FrequentItems(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        Capacity = capacity;
        _counters = new Dictionary<string, long>(MaxTracked + 1, StringComparer.Ordinal);
    }

    /// <summary>k, the number of counters kept after a reduction.</summary>
    public int Capacity { get; }

    /// <summary>The total weight of all values added (N).</summary>
    public long Count { get; private set; }

    /// <summary>The most any counter can be below its value's true count; at most N / (k + 1).</summary>
    public long MaximumError { get; private set; }

    /// <summary>The most counters held between reductions: k + k/4.</summary>
    private int MaxTracked => Capacity + Math.Max(1, Capacity / 4);

    /// <summary>How many values have a counter now.</summary>
    public int TrackedItems => _counters.Count;

    /// <summary>A deep copy.</summary>
    public FrequentItems Clone()
    {
        var copy = new FrequentItems(Capacity) { Count = Count, MaximumError = MaximumError };
        foreach (var (item, count) in _counters)
        {
            copy._counters.Add(item, count);
        }

        return copy;
    }

    /// <summary>Adds <paramref name="weight"/> (≥ 1) occurrences of <paramref name="item"/>.</summary>
    public void Add(string item, long weight = 1)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1);
        Count += weight;
        ref var counter = ref CollectionsMarshal.GetValueRefOrAddDefault(_counters, Truncate(item), out _);
        counter += weight;
        if (_counters.Count > MaxTracked)
        {
            Reduce();
        }
    }

    /// <summary>Adds everything <paramref name="other"/> counted; the error bound holds for the union.</summary>
    public void Merge(FrequentItems other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this))
        {
            other = Clone();
        }

        Count += other.Count;
        MaximumError += other.MaximumError;
        foreach (var (item, count) in other._counters)
        {
            ref var counter = ref CollectionsMarshal.GetValueRefOrAddDefault(_counters, item, out _);
            counter += count;
        }

        if (_counters.Count > Capacity)
        {
            Reduce();
        }
    }

    /// <summary>The counter of <paramref name="item"/>: its true count is at least this (0 when untracked).</summary>
    public long GetLowerBound(string item) => _counters.GetValueOrDefault(Truncate(item));

    /// <summary>The true count of <paramref name="item"/> is at most this.</summary>
    public long GetUpperBound(string item) => GetLowerBound(item) + MaximumError;

    /// <summary>The tracked values, most frequent first (ties in ordinal order), at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<FrequentItem> GetTop(int limit = int.MaxValue)
    {
        var top = Sorted();
        var result = new List<FrequentItem>(Math.Min(limit, top.Length));
        foreach (var (item, count) in top.AsSpan(0, Math.Min(limit, top.Length)))
        {
            result.Add(new FrequentItem(item, count, count + MaximumError));
        }

        return result;
    }

    /// <summary>Truncates to <see cref="MaxItemLength"/> characters without splitting a surrogate pair.</summary>
    internal static string Truncate(string item)
    {
        if (item.Length <= MaxItemLength)
        {
            return item;
        }

        var length = char.IsHighSurrogate(item[MaxItemLength - 1]) ? MaxItemLength - 1 : MaxItemLength;
        return item[..length];
    }

    private KeyValuePair<string, long>[] Sorted()
    {
        var entries = _counters.ToArray();
        Array.Sort(entries, static (a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        return entries;
    }

    /// <summary>The (k+1)-th largest counter, or 0 when at most k are tracked.</summary>
    private long ReductionThreshold()
    {
        if (_counters.Count <= Capacity)
        {
            return 0;
        }

        var values = new long[_counters.Count];
        _counters.Values.CopyTo(values, 0);
        Array.Sort(values);
        return values[values.Length - 1 - Capacity];
    }

    private void Reduce()
    {
        var threshold = ReductionThreshold();
        if (threshold == 0)
        {
            return;
        }

        foreach (var item in _counters.Keys.ToArray())
        {
            ref var counter = ref CollectionsMarshal.GetValueRefOrNullRef(_counters, item);
            counter -= threshold;
            if (counter <= 0)
            {
                _counters.Remove(item);
            }
        }

        MaximumError += threshold;
    }

    // ---- serialization ----

    /// <summary>The exact size of <see cref="Serialize"/>'s output.</summary>
    public int SerializedSize
    {
        get
        {
            var threshold = ReductionThreshold();
            var size = 1 + ProfileWriter.VarintSize((ulong)Capacity) + ProfileWriter.VarintSize((ulong)Count)
                + ProfileWriter.VarintSize((ulong)(MaximumError + threshold));
            var kept = 0;
            foreach (var (item, count) in _counters)
            {
                if (count > threshold)
                {
                    kept++;
                    var length = Encoding.UTF8.GetByteCount(item);
                    size += ProfileWriter.VarintSize((ulong)length) + length + ProfileWriter.VarintSize((ulong)(count - threshold));
                }
            }

            return size + ProfileWriter.VarintSize((ulong)kept);
        }
    }

    /// <summary>
    /// The summary as bytes (version 1), reduced to at most k counters: version, k, N, maximum error, item count
    /// (varints), then each item as UTF-8 length, bytes and counter, most frequent first. Equal summaries give equal bytes.
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
        var threshold = ReductionThreshold();
        writer.WriteByte(FormatVersion);
        writer.WriteVarint((ulong)Capacity);
        writer.WriteVarint((ulong)Count);
        writer.WriteVarint((ulong)(MaximumError + threshold));
        var kept = Sorted().Where(e => e.Value > threshold).ToArray();
        writer.WriteVarint((ulong)kept.Length);
        Span<byte> utf8 = stackalloc byte[MaxItemLength * 3];
        foreach (var (item, count) in kept)
        {
            var length = Encoding.UTF8.GetBytes(item, utf8);
            writer.WriteVarint((ulong)length);
            writer.WriteBytes(utf8[..length]);
            writer.WriteVarint((ulong)(count - threshold));
        }
    }

    /// <summary>Reads a summary written by <see cref="Serialize"/>; a corrupt blob is a failure.</summary>
    public static Result<FrequentItems> Deserialize(ReadOnlySpan<byte> bytes) =>
        ProfileReader.ReadWhole(bytes, ReadFrom, "frequent-items summary", "summary");

    internal static FrequentItems? ReadFrom(ref ProfileReader reader)
    {
        reader.ReadVersion(FormatVersion, "frequent-items");

        var capacity = (int)reader.ReadCount(MaxCapacity, "the capacity");
        var count = reader.ReadCount(long.MaxValue, "the count");
        var maximumError = reader.ReadCount(long.MaxValue, "the maximum error");
        var kept = (int)reader.ReadCount(capacity, "the item count");
        if (reader.Error is null && capacity < 1)
        {
            reader.Fail("the capacity is 0");
        }

        if (reader.Error is not null)
        {
            return null;
        }

        var summary = new FrequentItems(capacity) { Count = count, MaximumError = maximumError };
        long total = 0;
        for (var i = 0; i < kept && reader.Error is null; i++)
        {
            var length = (int)reader.ReadCount(MaxItemLength * 3, "an item's length");
            var utf8 = reader.ReadBytes(length);
            var counter = reader.ReadCount(long.MaxValue, "a counter");
            if (reader.Error is not null)
            {
                break;
            }

            string item;
            try
            {
                item = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(utf8);
            }
            catch (DecoderFallbackException)
            {
                reader.Fail("an item is not valid UTF-8");
                break;
            }

            if (counter < 1 || !summary._counters.TryAdd(item, counter))
            {
                reader.Fail("an item is repeated or has a zero counter");
                break;
            }

            total += counter;
            if (total > count)
            {
                reader.Fail("the counters exceed the count");
            }
        }

        return reader.Error is null ? summary : null;
    }
}
