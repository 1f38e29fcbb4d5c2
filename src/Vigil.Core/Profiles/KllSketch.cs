namespace Vigil.Profiles;

/// <summary>
/// A KLL quantile sketch of doubles (Karnin, Lang and Liberty, "Optimal Quantile Approximation in Streams", 2016),
/// laid out and compacted as Apache DataSketches' <c>KllDoublesSketch</c> does: a stack of compactors in one array,
/// level h holding items of weight 2^h, capacities k·(2/3)^depth (at least 8), and a compaction that sorts a full
/// level and promotes its odd- or even-indexed items, chosen by a random bit.
/// </summary>
/// <remarks>
/// <para>
/// Error: the normalized rank error at k = 200 is 1.33% for a single rank or quantile query and 1.65% for all of a
/// CDF's or PMF's points at once, each with 99% confidence (DataSketches' fit, ε ≈ 2.446 / k^0.9433 for the latter).
/// While the count is at most k nothing is compacted and every answer is exact. The tests measure the error over many
/// seeds (docs/profiles.md).
/// </para>
/// <para>
/// Size: about 3k retained items at most, so roughly 5 KB serialized at k = 200 for any count.
/// </para>
/// <para>
/// The random bits come from a SplitMix64 stream seeded at construction, so a sketch is a deterministic function of
/// its seed and inputs. Give sketches that will be merged different seeds (for example a hash of their window and
/// replica) so their coin flips are independent. NaN is ignored (DataSketches does the same). Not thread-safe.
/// </para>
/// </remarks>
public sealed class KllSketch
{
    /// <summary>DataSketches' default k: 1.65% normalized rank error.</summary>
    public const int DefaultK = 200;

    /// <summary>The smallest k accepted (and the smallest capacity of any level).</summary>
    public const int MinK = 8;

    /// <summary>The largest k accepted.</summary>
    public const int MaxK = ushort.MaxValue;

    private const int MinLevelWidth = 8;
    private const int MaxLevels = 61;
    private const byte FormatVersion = 1;

    private double[] _items;
    private int[] _levels; // _levels[h].._levels[h+1] holds level h; _levels[0] is where free space ends
    private int _numLevels;
    private int[] _capacities; // LevelCapacity(K, _numLevels, h), cached: compaction asks for it constantly
    private ulong _random;
    private bool _level0Sorted;
    private KllSortedView? _view;

    /// <summary>An empty sketch.</summary>
    /// <param name="k">The accuracy parameter, in [<see cref="MinK"/>, <see cref="MaxK"/>]; default 200.</param>
    /// <param name="seed">Seeds the compaction coin flips.</param>
    public KllSketch(int k = DefaultK, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, MinK);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, MaxK);
        K = k;
        _random = seed;
        _numLevels = 1;
        _items = new double[k];
        _levels = [k, k];
        _capacities = Capacities(k, 1);
        Min = double.NaN;
        Max = double.NaN;
    }

    private KllSketch(KllSketch other)
    {
        K = other.K;
        _items = (double[])other._items.Clone();
        _levels = (int[])other._levels.Clone();
        _numLevels = other._numLevels;
        _capacities = other._capacities;
        _random = other._random;
        _level0Sorted = other._level0Sorted;
        Count = other.Count;
        Min = other.Min;
        Max = other.Max;
    }

    /// <summary>The accuracy parameter.</summary>
    public int K { get; }

    /// <summary>How many values the sketch has seen (NaN excluded).</summary>
    public long Count { get; private set; }

    /// <summary>The exact smallest value seen; NaN when empty.</summary>
    public double Min { get; private set; }

    /// <summary>The exact largest value seen; NaN when empty.</summary>
    public double Max { get; private set; }

    public bool IsEmpty => Count == 0;

    /// <summary>How many items the sketch keeps (each standing for 2^level values).</summary>
    public int RetainedItems => _levels[_numLevels] - _levels[0];

    /// <summary>How many compactor levels the sketch has.</summary>
    public int NumLevels => _numLevels;

    /// <summary>True while no value has been compacted: every answer is exact.</summary>
    public bool IsExact => _numLevels == 1;

    /// <summary>
    /// The normalized rank error with 99% confidence, DataSketches' empirical fit: for all points of a CDF or PMF at
    /// once (<paramref name="allPoints"/>, 2.446 / k^0.9433, 1.65% at k = 200) or for one query (2.296 / k^0.9723,
    /// 1.33% at k = 200).
    /// </summary>
    public static double NormalizedRankError(int k, bool allPoints) =>
        allPoints ? 2.446 / Math.Pow(k, 0.9433) : 2.296 / Math.Pow(k, 0.9723);

    /// <summary>A deep copy.</summary>
    public KllSketch Clone() => new(this);

    /// <summary>Adds one value; NaN is ignored.</summary>
    public void Update(double value)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        if (Count == 0)
        {
            Min = value;
            Max = value;
        }
        else
        {
            if (value < Min)
            {
                Min = value;
            }

            if (value > Max)
            {
                Max = value;
            }
        }

        if (_levels[0] == 0)
        {
            CompressWhileUpdating();
        }

        Count++;
        _level0Sorted = false;
        _view = null;
        _items[--_levels[0]] = value;
    }

    /// <summary>Adds every value of the span; NaN values are ignored.</summary>
    public void Update(ReadOnlySpan<double> values)
    {
        const int Chunk = 4096;
        while (!values.IsEmpty)
        {
            var chunk = values[..Math.Min(Chunk, values.Length)];
            values = values[chunk.Length..];
            if (Moments.Scan(chunk, out var min, out var max, out _))
            {
                AppendFinite(chunk, min, max);
            }
            else
            {
                foreach (var value in chunk)
                {
                    Update(value);
                }
            }
        }
    }

    /// <summary>Adds values already known to be NaN-free, with their min and max: the fold fast path.</summary>
    internal void AppendFinite(ReadOnlySpan<double> values, double min, double max)
    {
        if (values.IsEmpty)
        {
            return;
        }

        if (Count == 0)
        {
            Min = min;
            Max = max;
        }
        else
        {
            Min = Math.Min(Min, min);
            Max = Math.Max(Max, max);
        }

        _level0Sorted = false;
        _view = null;
        Count += values.Length;
        while (!values.IsEmpty)
        {
            if (_levels[0] == 0)
            {
                CompressWhileUpdating();
            }

            var take = Math.Min(_levels[0], values.Length);
            _levels[0] -= take;
            values[..take].CopyTo(_items.AsSpan(_levels[0], take));
            values = values[take..];
        }
    }

    /// <summary>
    /// Adds everything <paramref name="other"/> has seen (same k). The result depends on this sketch's coin flips,
    /// so merge is commutative and associative in distribution: any order gives answers within the same error bound,
    /// and exactly the same answers while the total count is at most k.
    /// </summary>
    public void Merge(KllSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.K != K)
        {
            throw new ArgumentException($"Cannot merge a KLL sketch with k = {other.K} into one with k = {K}.", nameof(other));
        }

        if (other.Count == 0)
        {
            return;
        }

        if (ReferenceEquals(other, this))
        {
            other = Clone();
        }

        var finalCount = Count + other.Count;
        var finalMin = Count == 0 ? other.Min : Math.Min(Min, other.Min);
        var finalMax = Count == 0 ? other.Max : Math.Max(Max, other.Max);

        // Level 0 of the other sketch: one update at a time, compacting as needed (as DataSketches does).
        for (var i = other._levels[0]; i < other._levels[1]; i++)
        {
            var value = other._items[i];
            if (_levels[0] == 0)
            {
                CompressWhileUpdating();
            }

            _items[--_levels[0]] = value;
        }

        _level0Sorted = false;
        _view = null;
        if (other._numLevels >= 2)
        {
            MergeHigherLevels(other);
        }

        Count = finalCount;
        Min = finalMin;
        Max = finalMax;
    }

    /// <summary>The normalized rank of <paramref name="value"/>: the estimated share of values ≤ it.</summary>
    public double GetRank(double value) => GetSortedView().GetRank(value);

    /// <summary>
    /// The estimated q-quantile: the smallest retained item whose inclusive normalized rank is ≥ q (with exact ranks,
    /// numpy's <c>inverted_cdf</c>). q = 0 gives <see cref="Min"/> and q = 1 gives <see cref="Max"/>, both exact.
    /// </summary>
    public double GetQuantile(double q) => GetSortedView().GetQuantile(q);

    /// <summary>
    /// The estimated CDF at strictly increasing, non-NaN split points: element i is the normalized rank of
    /// splitPoints[i] (share ≤ it), and one more element, 1, closes it.
    /// </summary>
    public double[] GetCdf(ReadOnlySpan<double> splitPoints) => GetSortedView().GetCdf(splitPoints);

    /// <summary>
    /// The estimated mass of each bin cut at the split points: (−∞, s0], (s0, s1], …, (s_last, +∞), summing to 1.
    /// </summary>
    public double[] GetPmf(ReadOnlySpan<double> splitPoints) => GetSortedView().GetPmf(splitPoints);

    /// <summary>The retained items sorted with their cumulative weights (cached until the next update).</summary>
    public KllSortedView GetSortedView()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("The sketch is empty: there is no quantile or rank to estimate.");
        }

        return _view ??= BuildSortedView();
    }

    private KllSortedView BuildSortedView()
    {
        var retained = RetainedItems;
        var items = new double[retained];
        var weights = new long[retained];
        var p = 0;
        for (var level = 0; level < _numLevels; level++)
        {
            var weight = 1L << level;
            for (var i = _levels[level]; i < _levels[level + 1]; i++)
            {
                items[p] = _items[i];
                weights[p] = weight;
                p++;
            }
        }

        Array.Sort(items, weights);
        for (var i = 1; i < weights.Length; i++)
        {
            weights[i] += weights[i - 1];
        }

        return new KllSortedView(items, weights, Min, Max);
    }

    // ---- compaction (DataSketches' KllHelper / KllDoublesHelper) ----

    internal static int LevelCapacity(int k, int numLevels, int height) =>
        Math.Max(MinLevelWidth, DepthCapacity(k, numLevels - height - 1));

    private static int[] Capacities(int k, int numLevels)
    {
        var capacities = new int[numLevels];
        for (var h = 0; h < numLevels; h++)
        {
            capacities[h] = LevelCapacity(k, numLevels, h);
        }

        return capacities;
    }

    internal static int TotalCapacity(int k, int numLevels)
    {
        var total = 0;
        for (var h = 0; h < numLevels; h++)
        {
            total += LevelCapacity(k, numLevels, h);
        }

        return total;
    }

    /// <summary>round(k · (2/3)^depth), computed in integers as DataSketches does.</summary>
    private static int DepthCapacity(int k, int depth)
    {
        if (depth > 30)
        {
            var half = depth / 2;
            return DepthCapacityExact(DepthCapacityExact(k, half), depth - half);
        }

        return DepthCapacityExact(k, depth);
    }

    private static int DepthCapacityExact(int k, int depth)
    {
        var twoK = (long)k << 1;
        var tmp = (twoK << depth) / PowerOfThree(depth);
        return (int)((tmp + 1) >> 1);
    }

    private static long PowerOfThree(int n)
    {
        var p = 1L;
        for (var i = 0; i < n; i++)
        {
            p *= 3;
        }

        return p;
    }

    private int FindLevelToCompact()
    {
        for (var level = 0; ; level++)
        {
            var pop = _levels[level + 1] - _levels[level];
            if (pop >= _capacities[level])
            {
                return level;
            }
        }
    }

    private void CompressWhileUpdating()
    {
        var level = FindLevelToCompact();
        if (level == _numLevels - 1)
        {
            AddEmptyTopLevel();
        }

        var items = _items;
        var levels = _levels;
        var rawBeg = levels[level];
        var rawEnd = levels[level + 1];
        var popAbove = levels[level + 2] - rawEnd;
        var rawPop = rawEnd - rawBeg;
        var oddPop = (rawPop & 1) == 1;
        var adjBeg = oddPop ? rawBeg + 1 : rawBeg;
        var adjPop = oddPop ? rawPop - 1 : rawPop;
        var halfAdjPop = adjPop / 2;

        if (level == 0)
        {
            items.AsSpan(adjBeg, adjPop).Sort();
        }

        if (popAbove == 0)
        {
            HalveUp(items, adjBeg, adjPop, NextBit());
        }
        else
        {
            HalveDown(items, adjBeg, adjPop, NextBit());
            MergeSortedInPlace(items, adjBeg, halfAdjPop, rawEnd, popAbove, adjBeg + halfAdjPop);
        }

        levels[level + 1] -= halfAdjPop;
        if (oddPop)
        {
            levels[level] = levels[level + 1] - 1;
            items[levels[level]] = items[rawBeg];
        }
        else
        {
            levels[level] = levels[level + 1];
        }

        if (level > 0)
        {
            var amount = rawBeg - levels[0];
            Array.Copy(items, levels[0], items, levels[0] + halfAdjPop, amount);
            for (var lvl = 0; lvl < level; lvl++)
            {
                levels[lvl] += halfAdjPop;
            }
        }
    }

    private void AddEmptyTopLevel()
    {
        if (_numLevels >= MaxLevels)
        {
            throw new InvalidOperationException("A KLL sketch cannot grow past 61 levels.");
        }

        var currentCapacity = _levels[_numLevels];
        var delta = LevelCapacity(K, _numLevels + 1, 0);
        var items = new double[currentCapacity + delta];
        Array.Copy(_items, 0, items, delta, currentCapacity);
        var levels = new int[_numLevels + 2];
        for (var i = 0; i <= _numLevels; i++)
        {
            levels[i] = _levels[i] + delta;
        }

        levels[_numLevels + 1] = currentCapacity + delta;
        _items = items;
        _levels = levels;
        _numLevels++;
        _capacities = Capacities(K, _numLevels);
    }

    private void MergeHigherLevels(KllSketch other)
    {
        var provisional = Math.Max(_numLevels, other._numLevels);
        var work = new double[RetainedItems + (other._levels[other._numLevels] - other._levels[1])];
        var inLevels = new int[MaxLevels + 2];
        var outLevels = new int[MaxLevels + 2];

        // Level 0: ours (other's level 0 was already added); higher levels: ours and theirs merged in order.
        var pop0 = _levels[1] - _levels[0];
        Array.Copy(_items, _levels[0], work, 0, pop0);
        inLevels[1] = pop0;
        for (var level = 1; level < provisional; level++)
        {
            var ours = level < _numLevels ? _items.AsSpan(_levels[level], _levels[level + 1] - _levels[level]) : [];
            var theirs = level < other._numLevels
                ? other._items.AsSpan(other._levels[level], other._levels[level + 1] - other._levels[level])
                : [];
            MergeSorted(ours, theirs, work.AsSpan(inLevels[level], ours.Length + theirs.Length));
            inLevels[level + 1] = inLevels[level] + ours.Length + theirs.Length;
        }

        var (numLevels, capacity, population) = GeneralCompress(work, inLevels, outLevels, provisional);
        var items = new double[capacity];
        var offset = capacity - population;
        Array.Copy(work, outLevels[0], items, offset, population);
        var levels = new int[numLevels + 1];
        for (var i = 0; i <= numLevels; i++)
        {
            levels[i] = outLevels[i] - outLevels[0] + offset;
        }

        _items = items;
        _levels = levels;
        _numLevels = numLevels;
        _capacities = Capacities(K, numLevels);
    }

    /// <summary>
    /// Compacts levels bottom-up until the items fit the capacity of the (possibly grown) number of levels; in and out
    /// share <paramref name="buffer"/>, items only move down. Returns the final level count, capacity and population.
    /// </summary>
    private (int NumLevels, int Capacity, int Population) GeneralCompress(double[] buffer, int[] inLevels, int[] outLevels, int numLevels)
    {
        var current = inLevels[numLevels] - inLevels[0];
        var target = TotalCapacity(K, numLevels);
        outLevels[0] = 0;
        for (var level = 0; level < numLevels; level++)
        {
            if (level == numLevels - 1)
            {
                inLevels[level + 2] = inLevels[level + 1];
            }

            var rawBeg = inLevels[level];
            var rawLim = inLevels[level + 1];
            var rawPop = rawLim - rawBeg;
            if (current < target || rawPop < LevelCapacity(K, numLevels, level))
            {
                Array.Copy(buffer, rawBeg, buffer, outLevels[level], rawPop);
                outLevels[level + 1] = outLevels[level] + rawPop;
                continue;
            }

            var popAbove = inLevels[level + 2] - rawLim;
            var oddPop = (rawPop & 1) == 1;
            var adjBeg = oddPop ? rawBeg + 1 : rawBeg;
            var adjPop = oddPop ? rawPop - 1 : rawPop;
            var halfAdjPop = adjPop / 2;
            if (oddPop)
            {
                buffer[outLevels[level]] = buffer[rawBeg];
                outLevels[level + 1] = outLevels[level] + 1;
            }
            else
            {
                outLevels[level + 1] = outLevels[level];
            }

            if (level == 0 && !_level0Sorted)
            {
                buffer.AsSpan(adjBeg, adjPop).Sort();
            }

            if (popAbove == 0)
            {
                HalveUp(buffer, adjBeg, adjPop, NextBit());
            }
            else
            {
                HalveDown(buffer, adjBeg, adjPop, NextBit());
                MergeSortedInPlace(buffer, adjBeg, halfAdjPop, rawLim, popAbove, adjBeg + halfAdjPop);
            }

            current -= halfAdjPop;
            inLevels[level + 1] -= halfAdjPop;
            if (level == numLevels - 1)
            {
                if (numLevels >= MaxLevels)
                {
                    throw new InvalidOperationException("A KLL sketch cannot grow past 61 levels.");
                }

                numLevels++;
                target += LevelCapacity(K, numLevels, 0);
            }
        }

        return (numLevels, target, current);
    }

    /// <summary>Keeps every other item of a sorted run, starting at offset 0 or 1, packed at the run's start.</summary>
    private static void HalveDown(double[] buffer, int start, int length, int offset)
    {
        var half = length / 2;
        var j = start + offset;
        for (var i = start; i < start + half; i++, j += 2)
        {
            buffer[i] = buffer[j];
        }
    }

    /// <summary>Keeps every other item of a sorted run, packed at the run's end.</summary>
    private static void HalveUp(double[] buffer, int start, int length, int offset)
    {
        var half = length / 2;
        var j = start + length - 1 - offset;
        for (var i = start + length - 1; i >= start + half; i--, j -= 2)
        {
            buffer[i] = buffer[j];
        }
    }

    /// <summary>Merges two sorted runs of one buffer into a destination that never overtakes the second run.</summary>
    private static void MergeSortedInPlace(double[] buffer, int aStart, int aLength, int bStart, int bLength, int dest)
    {
        int a = aStart, aEnd = aStart + aLength, b = bStart, bEnd = bStart + bLength, d = dest;
        while (a < aEnd && b < bEnd)
        {
            buffer[d++] = buffer[a] <= buffer[b] ? buffer[a++] : buffer[b++];
        }

        while (a < aEnd)
        {
            buffer[d++] = buffer[a++];
        }

        while (b < bEnd)
        {
            buffer[d++] = buffer[b++];
        }
    }

    private static void MergeSorted(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> destination)
    {
        int i = 0, j = 0, d = 0;
        while (i < a.Length && j < b.Length)
        {
            destination[d++] = a[i] <= b[j] ? a[i++] : b[j++];
        }

        a[i..].CopyTo(destination[d..]);
        b[j..].CopyTo(destination[(d + a.Length - i)..]);
    }

    /// <summary>SplitMix64: one random bit per compaction.</summary>
    private int NextBit()
    {
        _random += 0x9E3779B97F4A7C15UL;
        var z = _random;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z >> 63);
    }

    // ---- serialization ----

    /// <summary>The exact size of <see cref="Serialize"/>'s output.</summary>
    public int SerializedSize
    {
        get
        {
            var size = 1 + 2 + 1 + 1 + 8 + ProfileWriter.VarintSize((ulong)Count);
            if (Count > 0)
            {
                size += 16;
            }

            for (var h = 0; h < _numLevels; h++)
            {
                size += ProfileWriter.VarintSize((ulong)(_levels[h + 1] - _levels[h]));
            }

            return size + (8 * RetainedItems);
        }
    }

    /// <summary>
    /// The sketch as bytes (version 1): version, k (u16), level count, flags, random state (u64), count (varint),
    /// min and max (f64, when not empty), each level's population (varint), then the items level by level (f64),
    /// little-endian. The random state is kept so a restored sketch continues exactly as the original would.
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
        writer.WriteByte(FormatVersion);
        writer.WriteUInt16((ushort)K);
        writer.WriteByte((byte)_numLevels);
        writer.WriteByte(_level0Sorted ? (byte)1 : (byte)0);
        writer.WriteUInt64(_random);
        writer.WriteVarint((ulong)Count);
        if (Count > 0)
        {
            writer.WriteDouble(Min);
            writer.WriteDouble(Max);
        }

        for (var h = 0; h < _numLevels; h++)
        {
            writer.WriteVarint((ulong)(_levels[h + 1] - _levels[h]));
        }

        for (var i = _levels[0]; i < _levels[_numLevels]; i++)
        {
            writer.WriteDouble(_items[i]);
        }
    }

    /// <summary>Reads a sketch written by <see cref="Serialize"/>, checking every invariant; a corrupt blob is a failure.</summary>
    public static Result<KllSketch> Deserialize(ReadOnlySpan<byte> bytes) =>
        ProfileReader.ReadWhole(bytes, ReadFrom, "KLL sketch", "sketch");

    internal static KllSketch? ReadFrom(ref ProfileReader reader)
    {
        reader.ReadVersion(FormatVersion, "KLL");

        int k = reader.ReadUInt16();
        int numLevels = reader.ReadByte();
        var flags = reader.ReadByte();
        var random = reader.ReadUInt64();
        var count = reader.ReadCount(long.MaxValue, "the count");
        if (reader.Error is not null)
        {
            return null;
        }

        if (k < MinK)
        {
            reader.Fail($"k is {k}, less than {MinK}");
        }

        if (numLevels is < 1 or > MaxLevels)
        {
            reader.Fail($"the level count is {numLevels}");
        }

        if (flags > 1)
        {
            reader.Fail($"unknown flags {flags}");
        }

        double min = double.NaN, max = double.NaN;
        if (count > 0)
        {
            min = reader.ReadDouble();
            max = reader.ReadDouble();
            if (reader.Error is null && (double.IsNaN(min) || double.IsNaN(max) || min > max))
            {
                reader.Fail("min and max are not an ordered pair of numbers");
            }
        }

        if (reader.Error is not null)
        {
            return null;
        }

        var capacity = TotalCapacity(k, numLevels);
        var pops = new int[numLevels];
        var retained = 0;
        Int128 weight = 0;
        for (var h = 0; h < numLevels && reader.Error is null; h++)
        {
            pops[h] = (int)reader.ReadCount(capacity, "a level's population");
            retained += pops[h];
            weight += (Int128)pops[h] << h;
        }

        if (reader.Error is not null)
        {
            return null;
        }

        if (retained > capacity)
        {
            reader.Fail($"{retained} items exceed the capacity {capacity}");
        }
        else if (weight != count)
        {
            reader.Fail($"the levels weigh {weight}, not the count {count}");
        }
        else if (count == 0 && numLevels != 1)
        {
            reader.Fail("an empty sketch has one level");
        }
        else if (reader.Remaining < 8L * retained)
        {
            reader.Fail("the data ends early");
        }

        if (reader.Error is not null)
        {
            return null;
        }

        var items = new double[capacity];
        var levels = new int[numLevels + 1];
        levels[0] = capacity - retained;
        for (var h = 0; h < numLevels; h++)
        {
            levels[h + 1] = levels[h] + pops[h];
            for (var i = levels[h]; i < levels[h + 1]; i++)
            {
                var x = reader.ReadDouble();
                items[i] = x;
                if (!(x >= min && x <= max))
                {
                    reader.Fail("an item lies outside [min, max] or is NaN");
                }
                else if (i > levels[h] && (h > 0 || flags == 1) && x < items[i - 1])
                {
                    reader.Fail($"level {h} is not sorted");
                }
            }
        }

        if (reader.Error is not null)
        {
            return null;
        }

        return new KllSketch(k, random)
        {
            _items = items,
            _levels = levels,
            _numLevels = numLevels,
            _capacities = Capacities(k, numLevels),
            _level0Sorted = flags == 1,
            Count = count,
            Min = min,
            Max = max,
        };
    }
}
