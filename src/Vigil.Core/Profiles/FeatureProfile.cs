namespace Vigil.Profiles;

/// <summary>
/// The mergeable summary of one feature's values in one window (DESIGN.md's <em>profile</em>): how many values, nulls
/// and type errors, and either a numeric part (<see cref="Moments"/> and a <see cref="KllSketch"/>) or a categorical
/// part (<see cref="FrequentItems"/> and a <see cref="DistinctCount"/>). docs/profiles.md describes each part's error
/// and size and the serialized format.
/// </summary>
/// <remarks>
/// <para>
/// Counting: <see cref="Count"/> is every observation; <see cref="Nulls"/> and <see cref="TypeErrors"/> are parts of
/// it, and the rest (<see cref="ValidCount"/>) reach the sketches. For a numeric profile NaN is a null (the usual
/// encoding of a missing number) and ±∞ is a type error (not a finite number; the moments stay finite). A value of the
/// other kind (a string added to a numeric profile, a number to a categorical one) is a type error too, never an
/// exception: a feature's kind is fixed when its profile is created, and whatever a client sends afterwards is counted.
/// </para>
/// <para>
/// Merge: counts, nulls, type errors, min, max and the distinct-count registers merge exactly (in any order, with the
/// same result as profiling the union); mean and variance up to floating-point rounding; quantiles and frequent items
/// within their sketches' documented error. A profile is an accumulator owned by one writer: not thread-safe.
/// </para>
/// </remarks>
public sealed class FeatureProfile
{
    /// <summary>The largest a serialized profile may be, DESIGN.md's budget per (service, version, arm, window, feature).</summary>
    public const int SizeBudgetBytes = 16 * 1024;

    private static ReadOnlySpan<byte> Magic => "VGPF"u8;

    private const byte FormatVersion = 1;
    private const int FoldChunk = 2048;

    private Moments _moments;

    private FeatureProfile(ProfileKind kind, KllSketch? quantiles, FrequentItems? frequentItems, DistinctCount? distinct)
    {
        Kind = kind;
        Quantiles = quantiles;
        FrequentItems = frequentItems;
        Distinct = distinct;
        _moments = Moments.Empty;
    }

    /// <summary>An empty numeric profile.</summary>
    /// <param name="k">The KLL sketch's k (default 200: 1.65% rank error, about 5 KB).</param>
    /// <param name="seed">Seeds the KLL compactions; give profiles that will be merged different seeds.</param>
    public static FeatureProfile CreateNumeric(int k = KllSketch.DefaultK, ulong seed = 0) =>
        new(ProfileKind.Numeric, new KllSketch(k, seed), null, null);

    /// <summary>An empty categorical profile.</summary>
    /// <param name="capacity">Frequent-items counters k (default 48: any value above a 1/49 share is kept).</param>
    /// <param name="precision">HyperLogLog precision p (default 12: 1.63% standard error).</param>
    public static FeatureProfile CreateCategorical(int capacity = FrequentItems.DefaultCapacity, int precision = DistinctCount.DefaultPrecision) =>
        new(ProfileKind.Categorical, null, new FrequentItems(capacity), new DistinctCount(precision));

    public ProfileKind Kind { get; }

    /// <summary>Every observation: values, nulls and type errors.</summary>
    public long Count { get; private set; }

    /// <summary>Observations that were null or missing (NaN for a numeric profile).</summary>
    public long Nulls { get; private set; }

    /// <summary>Observations of the wrong type (±∞ for a numeric profile).</summary>
    public long TypeErrors { get; private set; }

    /// <summary>Observations that reached the sketches.</summary>
    public long ValidCount => Count - Nulls - TypeErrors;

    /// <summary>Count, mean, variance, min and max of the valid numbers; empty for a categorical profile.</summary>
    public Moments Moments => _moments;

    /// <summary>The quantile sketch of a numeric profile; null for a categorical one.</summary>
    public KllSketch? Quantiles { get; }

    /// <summary>The frequent values of a categorical profile; null for a numeric one.</summary>
    public FrequentItems? FrequentItems { get; }

    /// <summary>The distinct-count estimate of a categorical profile; null for a numeric one.</summary>
    public DistinctCount? Distinct { get; }

    /// <summary>Nulls / Count; 0 when empty.</summary>
    public double NullRate => Count == 0 ? 0 : (double)Nulls / Count;

    /// <summary>A deep copy.</summary>
    public FeatureProfile Clone() =>
        new(Kind, Quantiles?.Clone(), FrequentItems?.Clone(), Distinct?.Clone())
        {
            Count = Count,
            Nulls = Nulls,
            TypeErrors = TypeErrors,
            _moments = _moments,
        };

    /// <summary>Adds a number to a numeric profile: NaN counts as a null, ±∞ as a type error; on a categorical profile a number is a type error.</summary>
    public void Add(double value)
    {
        if (Quantiles is not { } quantiles)
        {
            AddTypeError();
            return;
        }

        Count++;
        if (double.IsNaN(value))
        {
            Nulls++;
        }
        else if (double.IsInfinity(value))
        {
            TypeErrors++;
        }
        else
        {
            _moments = _moments.Add(value);
            quantiles.Update(value);
        }
    }

    /// <summary>Adds a value to a categorical profile; null counts as a null; on a numeric profile a string is a type error.</summary>
    public void Add(string? value)
    {
        if (value is null)
        {
            AddNull();
            return;
        }

        if (Kind != ProfileKind.Categorical)
        {
            AddTypeError();
            return;
        }

        Count++;

        FrequentItems!.Add(value);
        Distinct!.Add(value);
    }

    /// <summary>Counts a null or missing value.</summary>
    public void AddNull()
    {
        Count++;
        Nulls++;
    }

    /// <summary>Counts a value of the wrong type.</summary>
    public void AddTypeError()
    {
        Count++;
        TypeErrors++;
    }

    /// <summary>
    /// Adds many numbers to a numeric profile: the fast path (vectorised moments, block copies into the KLL level 0),
    /// with the same counting rules as <see cref="Add(double)"/> (on a categorical profile every value is a type error).
    /// </summary>
    public void Fold(ReadOnlySpan<double> values)
    {
        if (Quantiles is not { } quantiles)
        {
            Count += values.Length;
            TypeErrors += values.Length;
            return;
        }

        while (!values.IsEmpty)
        {
            var chunk = values[..Math.Min(FoldChunk, values.Length)];
            values = values[chunk.Length..];
            if (Moments.Scan(chunk, out var min, out var max, out var sum))
            {
                Count += chunk.Length;
                _moments = Moments.Merge(_moments, Moments.FromScan(chunk, min, max, sum));
                quantiles.AppendFinite(chunk, min, max);
            }
            else
            {
                foreach (var value in chunk)
                {
                    Add(value);
                }
            }
        }
    }

    /// <summary>Adds everything <paramref name="other"/> (same kind and sketch parameters) has seen.</summary>
    public void Merge(FeatureProfile other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Kind != Kind)
        {
            throw new ArgumentException($"Cannot merge a {other.Kind} profile into a {Kind} profile.", nameof(other));
        }

        if (ReferenceEquals(other, this))
        {
            other = Clone();
        }

        Count += other.Count;
        Nulls += other.Nulls;
        TypeErrors += other.TypeErrors;
        _moments = Moments.Merge(_moments, other._moments);
        Quantiles?.Merge(other.Quantiles!);
        FrequentItems?.Merge(other.FrequentItems!);
        Distinct?.Merge(other.Distinct!);
    }

    // ---- serialization ----

    /// <summary>The exact size of <see cref="Serialize"/>'s output, in bytes.</summary>
    public int SerializedSize
    {
        get
        {
            var size = Magic.Length + 2 + ProfileWriter.VarintSize((ulong)Count) + ProfileWriter.VarintSize((ulong)Nulls)
                + ProfileWriter.VarintSize((ulong)TypeErrors);
            if (Kind == ProfileKind.Numeric)
            {
                size += ProfileWriter.VarintSize((ulong)_moments.Count) + 32 + Quantiles!.SerializedSize;
            }
            else
            {
                size += FrequentItems!.SerializedSize + Distinct!.SerializedSize;
            }

            return size;
        }
    }

    /// <summary>
    /// The profile as bytes (format version 1): "VGPF", version, kind, count, nulls, type errors (varints); then for a
    /// numeric profile the moments' count (varint), mean, M2, min and max (f64) and the KLL sketch; for a categorical
    /// profile the frequent items and the HyperLogLog. Little-endian; each sketch carries its own version byte.
    /// </summary>
    public byte[] Serialize()
    {
        var bytes = new byte[SerializedSize];
        var writer = new ProfileWriter(bytes);
        writer.WriteBytes(Magic);
        writer.WriteByte(FormatVersion);
        writer.WriteByte((byte)Kind);
        writer.WriteVarint((ulong)Count);
        writer.WriteVarint((ulong)Nulls);
        writer.WriteVarint((ulong)TypeErrors);
        if (Kind == ProfileKind.Numeric)
        {
            writer.WriteVarint((ulong)_moments.Count);
            writer.WriteDouble(_moments.Mean);
            writer.WriteDouble(_moments.M2);
            writer.WriteDouble(_moments.Min);
            writer.WriteDouble(_moments.Max);
            Quantiles!.WriteTo(ref writer);
        }
        else
        {
            FrequentItems!.WriteTo(ref writer);
            Distinct!.WriteTo(ref writer);
        }

        return bytes;
    }

    /// <summary>Reads a profile written by <see cref="Serialize"/>, checking its invariants; a corrupt blob is a failure.</summary>
    public static Result<FeatureProfile> Deserialize(ReadOnlySpan<byte> bytes)
    {
        var profile = Read(bytes, out var error);
        return profile is not null ? Result<FeatureProfile>.Ok(profile) : Failure.Invalid($"Not a valid feature profile: {error}.");
    }

    private static FeatureProfile? Read(ReadOnlySpan<byte> bytes, out string? error)
    {
        var reader = new ProfileReader(bytes);
        if (!reader.ReadBytes(Magic.Length).SequenceEqual(Magic))
        {
            error = "it does not start with VGPF";
            return null;
        }

        reader.ReadVersion(FormatVersion, "profile");
        var kind = (ProfileKind)reader.ReadByte();
        var count = reader.ReadCount(long.MaxValue, "the count");
        var nulls = reader.ReadCount(count, "the null count");
        var typeErrors = reader.ReadCount(count - nulls, "the type-error count");
        if (reader.Error is null && kind is not (ProfileKind.Numeric or ProfileKind.Categorical))
        {
            reader.Fail($"unknown profile kind {(byte)kind}");
        }

        FeatureProfile? profile = null;
        var valid = count - nulls - typeErrors;
        if (reader.Error is null && kind == ProfileKind.Numeric)
        {
            var moments = new Moments(reader.ReadCount(long.MaxValue, "the moments' count"), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
            var quantiles = KllSketch.ReadFrom(ref reader);
            if (reader.Error is null && (moments.Count != valid || quantiles!.Count != valid))
            {
                reader.Fail("the moments' and the sketch's counts differ from the valid count");
            }

            if (reader.Error is null && valid > 0 && (moments.Min != quantiles!.Min || moments.Max != quantiles.Max || !double.IsFinite(moments.Mean) || !(moments.M2 >= 0)))
            {
                reader.Fail("the moments are inconsistent");
            }

            if (reader.Error is null)
            {
                profile = new FeatureProfile(ProfileKind.Numeric, quantiles, null, null) { _moments = valid > 0 ? moments : Moments.Empty };
            }
        }
        else if (reader.Error is null)
        {
            var frequentItems = FrequentItems.ReadFrom(ref reader);
            var distinct = reader.Error is null ? DistinctCount.ReadFrom(ref reader) : null;
            if (reader.Error is null && frequentItems!.Count != valid)
            {
                reader.Fail("the frequent items' count differs from the valid count");
            }

            if (reader.Error is null)
            {
                profile = new FeatureProfile(ProfileKind.Categorical, null, frequentItems, distinct);
            }
        }

        if (reader.Error is null && reader.Remaining != 0)
        {
            reader.Fail($"{reader.Remaining} bytes follow the profile");
        }

        error = reader.Error;
        if (profile is null || error is not null)
        {
            return null;
        }

        profile.Count = count;
        profile.Nulls = nulls;
        profile.TypeErrors = typeErrors;
        return profile;
    }
}
