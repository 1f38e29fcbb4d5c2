namespace Vigil.Cli.DataFiles;

/// <summary>One column of a data file, read for drift analysis: its values and how many cells were null.</summary>
public sealed class DataFileColumn(string name)
{
    /// <summary>The header name.</summary>
    public string Name { get; } = name;

    /// <summary>Numeric, text, or empty.</summary>
    public ColumnKind Kind { get; internal set; } = ColumnKind.Empty;

    /// <summary>All rows of the file.</summary>
    public long Rows { get; internal set; }

    /// <summary>Rows without a value: empty cells, and NaN in numeric columns (also counted in <see cref="NaNs"/>).</summary>
    public long Nulls { get; internal set; }

    /// <summary>Cells of a numeric column that held NaN; they are nulls.</summary>
    public long NaNs { get; internal set; }

    /// <summary>The non-null values of a numeric column.</summary>
    public List<double> Numbers { get; } = [];

    /// <summary>The count of each value of a text column.</summary>
    public Dictionary<string, long> Categories { get; } = new(StringComparer.Ordinal);

    /// <summary>For a CSV column that is text: the first value that is not a number and its 1-based data row, for messages.</summary>
    public (string Value, long Row)? FirstText { get; internal set; }
}
