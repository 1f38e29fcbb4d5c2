namespace Vigil.Statistics;

/// <summary>
/// One column of one data set, ready for <see cref="DriftAnalyzer"/>: how many rows it has, how many of them are null,
/// and its non-null values — numbers for a numeric column, counts per category for a categorical one.
/// </summary>
public sealed class ColumnSample
{
    private ColumnSample(string name, DriftColumnType type, long rows, long nulls, double[]? numbers, IReadOnlyDictionary<string, long>? categories)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(nulls);
        if (rows < nulls)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "A column cannot have more nulls than rows.");
        }

        Name = name;
        Type = type;
        Rows = rows;
        Nulls = nulls;
        Numbers = numbers;
        Categories = categories;
    }

    /// <summary>The column's name.</summary>
    public string Name { get; }

    /// <summary>Numeric or categorical.</summary>
    public DriftColumnType Type { get; }

    /// <summary>All rows, nulls included.</summary>
    public long Rows { get; }

    /// <summary>Rows without a value.</summary>
    public long Nulls { get; }

    /// <summary>Rows with a value.</summary>
    public long Values => Rows - Nulls;

    /// <summary>The non-null values of a numeric column, sorted ascending; null for a categorical column.</summary>
    public double[]? Numbers { get; }

    /// <summary>The count of each category of a categorical column; null for a numeric column.</summary>
    public IReadOnlyDictionary<string, long>? Categories { get; }

    /// <summary>A numeric column: <paramref name="values"/> are its non-null values (finite; copied and sorted), <paramref name="nulls"/> the rows without one.</summary>
    public static ColumnSample Numeric(string name, IEnumerable<double> values, long nulls)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.ToArray();
        foreach (var value in sorted)
        {
            if (!double.IsFinite(value))
            {
                throw new ArgumentException($"Column '{name}' has a non-finite value ({value}); pass NaN as a null instead.", nameof(values));
            }
        }

        Array.Sort(sorted);
        return new ColumnSample(name, DriftColumnType.Numeric, sorted.LongLength + nulls, nulls, sorted, null);
    }

    /// <summary>A categorical column: <paramref name="counts"/> holds the rows of each category (no zero or negative counts), <paramref name="nulls"/> the rows without one.</summary>
    public static ColumnSample Categorical(string name, IReadOnlyDictionary<string, long> counts, long nulls)
    {
        ArgumentNullException.ThrowIfNull(counts);
        long total = 0;
        foreach (var (category, count) in counts)
        {
            if (count <= 0)
            {
                throw new ArgumentException($"Column '{name}': category '{category}' has count {count}; counts must be positive.", nameof(counts));
            }

            total += count;
        }

        return new ColumnSample(name, DriftColumnType.Categorical, total + nulls, nulls, null, new Dictionary<string, long>(counts, StringComparer.Ordinal));
    }
}
