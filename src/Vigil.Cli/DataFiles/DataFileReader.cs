using System.Globalization;
using CsvHelper;
using Parquet;
using Parquet.Schema;

namespace Vigil.Cli.DataFiles;

/// <summary>
/// Reads a table from a CSV file (<c>.csv</c>, with a header row, comma separated, RFC 4180 quoting; read with
/// CsvHelper) or a Parquet file (<c>.parquet</c>, <c>.pq</c>; flat columns; read with Parquet.Net), column by column.
/// <para>
/// CSV types are inferred: a column is numeric when every non-empty cell parses as a number in invariant culture
/// (<c>1.5</c>, <c>-2e3</c>; not <c>1,5</c>), otherwise text. Empty cells are nulls. In numeric columns <c>NaN</c>
/// (any case) is a null too and is counted; an infinite value (<c>inf</c>, <c>Infinity</c>, or a number beyond
/// ±1.8e308) is an error, since no statistic of an infinite value means anything. Parquet columns take their type
/// from the schema: numeric types are numeric, everything else (strings, booleans, dates) is text.
/// </para>
/// Every problem is a <see cref="DataFileException"/> with a message that names the file, and the column and row where
/// there is one.
/// </summary>
public static class DataFileReader
{
    private static readonly string[] InfinityTokens = ["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"];

    /// <summary>Reads <paramref name="columns"/> (all columns when null) of the file at <paramref name="path"/>.</summary>
    public static async Task<DataFile> ReadAsync(string path, IReadOnlyCollection<string>? columns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path) || !File.Exists(path))
        {
            throw new DataFileException($"{path}: no such file");
        }

        if (new FileInfo(path).Length == 0)
        {
            throw new DataFileException($"{path} is empty: expected a header row and at least one data row");
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        try
        {
            return extension switch
            {
                ".csv" => ReadCsv(path, columns, cancellationToken),
                ".parquet" or ".pq" => await ReadParquetAsync(path, columns, cancellationToken),
                _ => throw new DataFileException($"{path}: unknown file type '{extension}'; expected .csv or .parquet"),
            };
        }
        catch (CsvFormatException ex)
        {
            throw new DataFileException($"{path} is not valid CSV: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFileException($"{path}: {ex.Message}");
        }
    }

    private static DataFile ReadCsv(string path, IReadOnlyCollection<string>? wanted, CancellationToken cancellationToken)
    {
        // Pass 1 infers each column's type; pass 2 collects numbers or category counts. Reading twice keeps memory
        // to the values themselves instead of every cell's text.
        var options = CsvReaderOptions.Default with
        {
            Separator = ',',
            FieldCountMismatch = CsvFieldCountHandling.Throw,
            MalformedData = CsvMalformedDataHandling.Throw,
            PoolStrings = true,
        };
        IReadOnlyList<string> header;
        (int Index, DataFileColumn Column)[] selected;
        long rows = 0;
        using (var reader = CsvReader.FromFile(path, options))
        {
            reader.ReadHeader();
            header = [.. reader.Headers];
            CheckHeader(path, header);
            selected = Select(path, header, wanted);
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                rows++;
                foreach (var (index, column) in selected)
                {
                    if (column.Kind == ColumnKind.Text)
                    {
                        continue;
                    }

                    var cell = reader.GetString(index) ?? string.Empty;
                    switch (Classify(cell, out _))
                    {
                        case Cell.Text:
                            column.Kind = ColumnKind.Text;
                            column.FirstText = (cell, rows);
                            break;
                        case Cell.Number:
                            column.Kind = ColumnKind.Numeric;
                            break;
                        case Cell.Infinite:
                            throw new DataFileException(
                                $"{path}: column '{column.Name}', row {rows}: '{cell}' is infinite; use finite numbers, or leave the cell empty for a missing value");
                        default:
                            break;
                    }
                }
            }
        }

        if (rows == 0)
        {
            throw new DataFileException($"{path} has a header but no data rows");
        }

        using (var reader = CsvReader.FromFile(path, options))
        {
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var (index, column) in selected)
                {
                    column.Rows++;
                    var cell = reader.GetString(index) ?? string.Empty;
                    if (column.Kind == ColumnKind.Text)
                    {
                        if (string.IsNullOrWhiteSpace(cell))
                        {
                            column.Nulls++;
                        }
                        else
                        {
                            column.Categories[cell] = column.Categories.GetValueOrDefault(cell) + 1;
                        }

                        continue;
                    }

                    switch (Classify(cell, out var number))
                    {
                        case Cell.Number:
                            column.Numbers.Add(number);
                            break;
                        case Cell.NaN:
                            column.Nulls++;
                            column.NaNs++;
                            break;
                        default:
                            column.Nulls++;
                            break;
                    }
                }
            }
        }

        return new DataFile(path, rows, header, selected.ToDictionary(s => s.Column.Name, s => s.Column, StringComparer.Ordinal));
    }

    private static async Task<DataFile> ReadParquetAsync(string path, IReadOnlyCollection<string>? wanted, CancellationToken cancellationToken)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(path, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new DataFileException($"{path} is not a readable Parquet file: {ex.Message}");
        }

        await using (reader)
        {
            var fields = reader.Schema.GetDataFields();
            IReadOnlyList<string> header = [.. fields.Select(f => f.Name)];
            CheckHeader(path, header);
            var selected = Select(path, header, wanted);
            long rows = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var group = reader.OpenRowGroupReader(g);
                var count = checked((int)group.RowCount);
                rows += count;
                foreach (var (index, column) in selected)
                {
                    await ReadParquetColumnAsync(path, group, fields[index], column, count, cancellationToken);
                }
            }

            if (rows == 0)
            {
                throw new DataFileException($"{path} has columns but no rows");
            }

            return new DataFile(path, rows, header, selected.ToDictionary(s => s.Column.Name, s => s.Column, StringComparer.Ordinal));
        }
    }

    private static async Task ReadParquetColumnAsync(string path, ParquetRowGroupReader group, DataField field, DataFileColumn column, int count, CancellationToken cancellationToken)
    {
        if (field.MaxRepetitionLevel > 0)
        {
            throw new DataFileException($"{path}: column '{field.Name}' is a repeated (list) field; drift analysis reads flat columns only");
        }

        column.Rows += count;
        var type = field.ClrType;
        if (type == typeof(double))
        {
            AddNumbers(path, column, await ReadStructAsync<double>(group, field, count, cancellationToken), v => v);
        }
        else if (type == typeof(float))
        {
            AddNumbers(path, column, await ReadStructAsync<float>(group, field, count, cancellationToken), v => v);
        }
        else if (type == typeof(decimal))
        {
            AddNumbers(path, column, await ReadStructAsync<decimal>(group, field, count, cancellationToken), v => (double)v);
        }
        else if (type == typeof(long))
        {
            AddNumbers(path, column, await ReadStructAsync<long>(group, field, count, cancellationToken), v => v);
        }
        else if (type == typeof(int))
        {
            AddNumbers(path, column, await ReadStructAsync<int>(group, field, count, cancellationToken), v => v);
        }
        else if (type == typeof(short))
        {
            AddNumbers(path, column, await ReadStructAsync<short>(group, field, count, cancellationToken), v => v);
        }
        else if (type == typeof(sbyte))
        {
            AddNumbers(path, column, await ReadStructAsync<sbyte>(group, field, count, cancellationToken), v => v);
        }
        else if (type == typeof(byte))
        {
            AddNumbers(path, column, await ReadStructAsync<byte>(group, field, count, cancellationToken), v => v);
        }
        else if (type == typeof(ushort))
        {
            AddNumbers(path, column, await ReadStructAsync<ushort>(group, field, count, cancellationToken), v => v);
        }
        else if (type == typeof(uint))
        {
            AddNumbers(path, column, await ReadStructAsync<uint>(group, field, count, cancellationToken), v => v);
        }
        else if (type == typeof(ulong))
        {
            AddNumbers(path, column, await ReadStructAsync<ulong>(group, field, count, cancellationToken), v => v);
        }
        else if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var values = new string?[count];
            await group.ReadAsync(field, values.AsMemory(), null, cancellationToken);
            AddTexts(column, values);
        }
        else if (type == typeof(bool))
        {
            AddTexts(column, (await ReadStructAsync<bool>(group, field, count, cancellationToken)).Select(v => v is { } b ? (b ? "true" : "false") : null));
        }
        else if (type == typeof(DateTime))
        {
            AddTexts(column, (await ReadStructAsync<DateTime>(group, field, count, cancellationToken)).Select(v => v?.ToString("O", CultureInfo.InvariantCulture)));
        }
        else
        {
            throw new DataFileException($"{path}: column '{field.Name}' has Parquet type {type.Name}, which drift analysis does not read; convert it to a number or a string");
        }
    }

    private static async Task<T?[]> ReadStructAsync<T>(ParquetRowGroupReader group, DataField field, int count, CancellationToken cancellationToken)
        where T : struct
    {
        if (field.IsNullable)
        {
            var nullable = new T?[count];
            await group.ReadAsync(field, nullable.AsMemory(), null, cancellationToken);
            return nullable;
        }

        var values = new T[count];
        await group.ReadAsync(field, values.AsMemory(), null, cancellationToken);
        return [.. values.Select(v => (T?)v)];
    }

    private static void AddNumbers<T>(string path, DataFileColumn column, T?[] values, Func<T, double> convert)
        where T : struct
    {
        if (column.Kind == ColumnKind.Empty)
        {
            column.Kind = ColumnKind.Numeric;
        }

        foreach (var value in values)
        {
            if (value is not { } v)
            {
                column.Nulls++;
                continue;
            }

            var number = convert(v);
            if (double.IsNaN(number))
            {
                column.Nulls++;
                column.NaNs++;
            }
            else if (double.IsInfinity(number))
            {
                throw new DataFileException($"{path}: column '{column.Name}' holds an infinite value; use finite numbers, or null for a missing value");
            }
            else
            {
                column.Numbers.Add(number);
            }
        }
    }

    private static void AddTexts(DataFileColumn column, IEnumerable<string?> values)
    {
        column.Kind = ColumnKind.Text;
        foreach (var value in values)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                column.Nulls++;
            }
            else
            {
                column.Categories[value] = column.Categories.GetValueOrDefault(value) + 1;
            }
        }
    }

    /// <summary>A header must name every column, once, and must not look like a row of data.</summary>
    private static void CheckHeader(string path, IReadOnlyList<string> header)
    {
        if (header.Count == 0)
        {
            throw new DataFileException($"{path} has no header row: the first row must name the columns");
        }

        for (var i = 0; i < header.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(header[i]))
            {
                throw new DataFileException($"{path}: column {i + 1} of the header has no name; the first row must name every column");
            }
        }

        var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new DataFileException($"{path}: the header names column '{duplicate.Key}' more than once");
        }

        if (header.All(h => Classify(h, out _) is Cell.Number or Cell.NaN or Cell.Infinite))
        {
            throw new DataFileException($"{path} has no header row: its first row ({string.Join(",", header.Take(5))}) looks like data; add a row with the column names");
        }
    }

    private static (int Index, DataFileColumn Column)[] Select(string path, IReadOnlyList<string> header, IReadOnlyCollection<string>? wanted)
    {
        if (wanted is null)
        {
            return [.. header.Select((name, index) => (index, new DataFileColumn(name)))];
        }

        var missing = wanted.Where(w => !header.Contains(w, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            throw new DataFileException($"{path} has no column {string.Join(", ", missing.Select(m => $"'{m}'"))} (its columns: {string.Join(", ", header)})");
        }

        return [.. wanted.Select(w => (header.ToList().IndexOf(w), new DataFileColumn(w)))];
    }

    private enum Cell
    {
        Null,
        NaN,
        Number,
        Infinite,
        Text,
    }

    private static Cell Classify(string cell, out double number)
    {
        number = 0;
        var text = cell.AsSpan().Trim();
        if (text.IsEmpty)
        {
            return Cell.Null;
        }

        foreach (var token in InfinityTokens)
        {
            if (text.Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return Cell.Infinite;
            }
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
        {
            return Cell.Text;
        }

        return double.IsNaN(number) ? Cell.NaN : double.IsInfinity(number) ? Cell.Infinite : Cell.Number;
    }
}
