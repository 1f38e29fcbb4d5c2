using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using Parquet;
using Parquet.Schema;
using Vigil.Cli.DataFiles;
using Vigil.Monitoring;

namespace Vigil.Cli.Monitoring;

/// <summary>
/// Streams timestamped traffic into a <see cref="Backtester"/>, row by row: CSV (<c>.csv</c>), JSON lines
/// (<c>.jsonl</c>, <c>.ndjson</c>) or Parquet (<c>.parquet</c>, <c>.pq</c>). Each row has a <c>timestamp</c> (ISO 8601,
/// Unix seconds, or a Parquet timestamp), the features, and optionally <c>score</c>, <c>confidence</c>,
/// <c>latency_ms</c> and <c>error</c>; a JSON line may instead carry its features in an <c>inputs</c> object, as a
/// predict request does. Each value is checked as the gateway checks it live (<see cref="TrafficSchema"/>): a missing
/// feature, a value of the wrong type, a null where the feature is not nullable, a number out of range or a category
/// outside the declared ones counts as a schema violation of that feature. Memory is one row plus the backtester's
/// windows, whatever the file's length.
/// </summary>
internal static class TrafficReplay
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "timestamp", "request_id", "error", "inputs" };

    public static async Task<BacktestReport> RunAsync(
        string path,
        Backtester backtester,
        TrafficSchema schema,
        Action<string> warn,
        Action<double>? progress,
        CancellationToken cancellationToken)
    {
        if (Directory.Exists(path) || !File.Exists(path))
        {
            throw new DataFileException($"{path}: no such file");
        }

        if (new FileInfo(path).Length == 0)
        {
            throw new DataFileException($"{path} is empty: expected rows with a timestamp");
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        try
        {
            var rows = extension switch
            {
                ".csv" => RunCsv(path, backtester, schema, warn, progress, cancellationToken),
                ".jsonl" or ".ndjson" => RunJsonLines(path, backtester, schema, warn, progress, cancellationToken),
                ".parquet" or ".pq" => await RunParquetAsync(path, backtester, schema, warn, progress, cancellationToken),
                _ => throw new DataFileException($"{path}: unknown traffic file type '{extension}'; expected .csv, .jsonl (or .ndjson) or .parquet"),
            };
            if (rows == 0)
            {
                throw new DataFileException($"{path} has no data rows");
            }

            return backtester.Finish();
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

    private static long RunCsv(string path, Backtester backtester, TrafficSchema schema, Action<string> warn, Action<double>? progress, CancellationToken cancellationToken)
    {
        var options = CsvReaderOptions.Default with
        {
            Separator = ',',
            FieldCountMismatch = CsvFieldCountHandling.Throw,
            MalformedData = CsvMalformedDataHandling.Throw,
        };
        var length = (double)new FileInfo(path).Length;
        using var reader = CsvReader.FromFile(path, options);
        reader.ReadHeader();
        var header = reader.Headers.ToArray();
        var timestampIndex = Array.IndexOf(header, "timestamp");
        if (timestampIndex < 0)
        {
            throw new DataFileException($"{path}: no 'timestamp' column (columns: {string.Join(", ", header)})");
        }

        var errorIndex = Array.IndexOf(header, "error");
        var columns = new List<(int Index, TrafficSchema.Column Column)>();
        for (var i = 0; i < header.Length; i++)
        {
            if (schema.Find(header[i]) is { } column)
            {
                columns.Add((i, column));
            }
            else if (!Reserved.Contains(header[i]))
            {
                warn($"{path}: column '{header[i]}' is not in the baseline or the schema; not monitored");
            }
        }

        var missing = schema.MissingFrom(columns.Select(c => c.Column), path, warn);
        Span<char> chars = stackalloc char[64];
        Span<char> text = stackalloc char[256];
        var clock = new TimestampCache();
        var pool = new Dictionary<string, string>(StringComparer.Ordinal);
        var lookup = pool.GetAlternateLookup<ReadOnlySpan<char>>();
        long row = 0;
        while (reader.Read())
        {
            row++;
            if ((row & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Invoke(reader.ByteOffset / length);
            }

            var stamp = reader.GetSpan(timestampIndex);
            if (!clock.TryParse(stamp, chars, out var timestamp))
            {
                throw new DataFileException($"{path}: row {row}: timestamp '{Encoding.UTF8.GetString(stamp)}' is not ISO 8601 (2026-11-01T14:00:00Z) or Unix seconds");
            }

            var window = backtester.WindowFor(timestamp);
            if (window is null)
            {
                continue;
            }

            foreach (var (index, column) in columns)
            {
                var cell = reader.GetSpan(index);
                if (cell.IsEmpty || (column.Numeric && Ascii.EqualsIgnoreCase(cell, "nan"u8)))
                {
                    TrafficSchema.Null(window, column);
                }
                else if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
                {
                    TrafficSchema.Number(window, column, number, cell);
                }
                else if (column.Numeric)
                {
                    TrafficSchema.WrongType(window, column);
                }
                else
                {
                    TrafficSchema.Text(window, column, Intern(cell, text, pool, lookup));
                }
            }

            foreach (var column in missing)
            {
                TrafficSchema.Absent(window, column);
            }

            if (errorIndex >= 0 && reader.GetSpan(errorIndex) is { IsEmpty: false } error && !error.SequenceEqual("0"u8) && !Ascii.EqualsIgnoreCase(error, "false"u8))
            {
                window.Errors++;
            }
        }

        return row;
    }

    private static long RunJsonLines(string path, Backtester backtester, TrafficSchema schema, Action<string> warn, Action<double>? progress, CancellationToken cancellationToken)
    {
        using var stream = File.OpenRead(path);
        using var lines = new StreamReader(stream, Encoding.UTF8);
        var length = (double)stream.Length;
        var warned = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<TrafficSchema.Column>();
        long row = 0, line = 0;
        while (lines.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            row++;
            if ((row & 0x3FFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Invoke(stream.Position / length);
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException ex)
            {
                throw new DataFileException($"{path}: line {line} is not JSON: {ex.Message}");
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new DataFileException($"{path}: line {line} is not a JSON object; expected {{\"timestamp\": …, \"inputs\": {{…}}}} or the features at the top level");
                }

                if (!root.TryGetProperty("timestamp", out var stamp) || !TryReadTimestamp(stamp, out var timestamp))
                {
                    throw new DataFileException($"{path}: line {line}: no readable 'timestamp' (ISO 8601 text such as \"2026-11-01T14:00:00Z\", or Unix seconds)");
                }

                var window = backtester.WindowFor(timestamp);
                if (window is null)
                {
                    continue;
                }

                seen.Clear();
                var nested = root.TryGetProperty("inputs", out var inputs) && inputs.ValueKind == JsonValueKind.Object;
                FoldJsonObject(window, schema, nested ? inputs : root, seen, warned, path, warn);
                if (nested)
                {
                    // Output columns (score, confidence, latency_ms) sit next to inputs.
                    FoldJsonObject(window, schema, root, seen, warned, path, warn, outputsOnly: true);
                }

                foreach (var column in schema.Inputs)
                {
                    if (!seen.Contains(column))
                    {
                        TrafficSchema.Absent(window, column);
                    }
                }

                if (root.TryGetProperty("error", out var error) && error.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.String => error.GetString() is { Length: > 0 } e && e != "0" && !e.Equals("false", StringComparison.OrdinalIgnoreCase),
                    JsonValueKind.Number => error.GetDouble() != 0,
                    _ => false,
                })
                {
                    window.Errors++;
                }
            }
        }

        return row;
    }

    private static void FoldJsonObject(
        WindowProfiles window, TrafficSchema schema, JsonElement features, HashSet<TrafficSchema.Column> seen, HashSet<string> warned, string path, Action<string> warn, bool outputsOnly = false)
    {
        foreach (var property in features.EnumerateObject())
        {
            if (Reserved.Contains(property.Name))
            {
                continue;
            }

            var column = schema.Find(property.Name);
            if (column is null || (outputsOnly && !column.IsOutput))
            {
                if (!outputsOnly && warned.Add(property.Name))
                {
                    warn($"{path}: '{property.Name}' is not in the baseline or the schema; not monitored");
                }

                continue;
            }

            seen.Add(column);
            var value = property.Value;
            switch (value.ValueKind)
            {
                case JsonValueKind.Null:
                    TrafficSchema.Null(window, column);
                    break;
                case JsonValueKind.Number:
                    TrafficSchema.Number(window, column, value.GetDouble(), []);
                    break;
                case JsonValueKind.String:
                    TrafficSchema.Text(window, column, value.GetString()!);
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    TrafficSchema.Boolean(window, column, value.GetBoolean());
                    break;
                default:
                    TrafficSchema.WrongType(window, column);
                    break;
            }
        }
    }

    private static async Task<long> RunParquetAsync(string path, Backtester backtester, TrafficSchema schema, Action<string> warn, Action<double>? progress, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new DataFileException($"{path} is not a Parquet file Vigil can read: {ex.Message}");
        }

        await using (reader)
        {
            var fields = reader.Schema.GetDataFields();
            var timestampField = fields.FirstOrDefault(f => f.Name == "timestamp")
                ?? throw new DataFileException($"{path}: no 'timestamp' column (columns: {string.Join(", ", fields.Select(f => f.Name))})");
            var errorField = fields.FirstOrDefault(f => f.Name == "error");
            var columns = new List<(DataField Field, TrafficSchema.Column Column)>();
            foreach (var field in fields)
            {
                if (schema.Find(field.Name) is { } column)
                {
                    columns.Add((field, column));
                }
                else if (!Reserved.Contains(field.Name))
                {
                    warn($"{path}: column '{field.Name}' is not in the baseline or the schema; not monitored");
                }
            }

            var missing = schema.MissingFrom(columns.Select(c => c.Column), path, warn);
            long row = 0;
            for (var group = 0; group < reader.RowGroupCount; group++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Invoke((double)group / reader.RowGroupCount);
                var rowGroup = reader.OpenRowGroupReader(group);
                var count = checked((int)rowGroup.RowCount);
                var stamps = await ReadColumnAsync(path, rowGroup, timestampField, count, cancellationToken);
                var errors = errorField is null ? null : await ReadColumnAsync(path, rowGroup, errorField, count, cancellationToken);
                var data = new object?[columns.Count][];
                for (var c = 0; c < columns.Count; c++)
                {
                    data[c] = await ReadColumnAsync(path, rowGroup, columns[c].Field, count, cancellationToken);
                }

                for (var i = 0; i < stamps.Length; i++)
                {
                    row++;
                    if (!TryReadTimestamp(stamps[i], out var timestamp))
                    {
                        throw new DataFileException($"{path}: row {row}: timestamp '{stamps[i]}' is not a timestamp, ISO 8601 text or Unix seconds");
                    }

                    var window = backtester.WindowFor(timestamp);
                    if (window is null)
                    {
                        continue;
                    }

                    for (var c = 0; c < columns.Count; c++)
                    {
                        var column = columns[c].Column;
                        switch (data[c][i])
                        {
                            case null:
                                TrafficSchema.Null(window, column);
                                break;
                            case string text:
                                TrafficSchema.Text(window, column, text);
                                break;
                            case bool flag:
                                TrafficSchema.Boolean(window, column, flag);
                                break;
                            case double or float or decimal or long or int or short or sbyte or ulong or uint or ushort or byte:
                                var number = Convert.ToDouble(data[c][i], CultureInfo.InvariantCulture);
                                if (double.IsNaN(number))
                                {
                                    TrafficSchema.Null(window, column);
                                }
                                else
                                {
                                    TrafficSchema.Number(window, column, number, []);
                                }

                                break;
                            default:
                                TrafficSchema.WrongType(window, column);
                                break;
                        }
                    }

                    foreach (var column in missing)
                    {
                        TrafficSchema.Absent(window, column);
                    }

                    if (errors?[i] is { } e && e switch { bool b => b, string t => t is { Length: > 0 } && t != "0" && !t.Equals("false", StringComparison.OrdinalIgnoreCase), _ => Convert.ToDouble(e, CultureInfo.InvariantCulture) != 0 })
                    {
                        window.Errors++;
                    }
                }
            }

            return row;
        }
    }

    /// <summary>One flat column of a row group, boxed per value (a backtest folds row by row; nulls stay null).</summary>
    private static async Task<object?[]> ReadColumnAsync(string path, ParquetRowGroupReader group, DataField field, int count, CancellationToken cancellationToken)
    {
        if (field.MaxRepetitionLevel > 0)
        {
            throw new DataFileException($"{path}: column '{field.Name}' is a repeated (list) field; traffic columns must be flat");
        }

        var type = field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var values = new string?[count];
            await group.ReadAsync(field, values.AsMemory(), null, cancellationToken);
            return values;
        }

        return type switch
        {
            _ when type == typeof(double) => await ReadStructAsync<double>(group, field, count, cancellationToken),
            _ when type == typeof(float) => await ReadStructAsync<float>(group, field, count, cancellationToken),
            _ when type == typeof(decimal) => await ReadStructAsync<decimal>(group, field, count, cancellationToken),
            _ when type == typeof(long) => await ReadStructAsync<long>(group, field, count, cancellationToken),
            _ when type == typeof(int) => await ReadStructAsync<int>(group, field, count, cancellationToken),
            _ when type == typeof(short) => await ReadStructAsync<short>(group, field, count, cancellationToken),
            _ when type == typeof(sbyte) => await ReadStructAsync<sbyte>(group, field, count, cancellationToken),
            _ when type == typeof(byte) => await ReadStructAsync<byte>(group, field, count, cancellationToken),
            _ when type == typeof(ushort) => await ReadStructAsync<ushort>(group, field, count, cancellationToken),
            _ when type == typeof(uint) => await ReadStructAsync<uint>(group, field, count, cancellationToken),
            _ when type == typeof(ulong) => await ReadStructAsync<ulong>(group, field, count, cancellationToken),
            _ when type == typeof(bool) => await ReadStructAsync<bool>(group, field, count, cancellationToken),
            _ when type == typeof(DateTime) => await ReadStructAsync<DateTime>(group, field, count, cancellationToken),
            _ => throw new DataFileException($"{path}: column '{field.Name}' has Parquet type {type.Name}, which a backtest does not read; convert it to a number, a string or a timestamp"),
        };
    }

    private static async Task<object?[]> ReadStructAsync<T>(ParquetRowGroupReader group, DataField field, int count, CancellationToken cancellationToken)
        where T : struct
    {
        if (field.IsNullable)
        {
            var nullable = new T?[count];
            await group.ReadAsync(field, nullable.AsMemory(), null, cancellationToken);
            return Array.ConvertAll(nullable, v => (object?)v);
        }

        var values = new T[count];
        await group.ReadAsync(field, values.AsMemory(), null, cancellationToken);
        return Array.ConvertAll(values, v => (object?)v);
    }

    private static bool TryReadTimestamp(object? value, out DateTimeOffset timestamp)
    {
        switch (value)
        {
            case DateTimeOffset offset:
                timestamp = offset.ToUniversalTime();
                return true;
            case DateTime time:
                timestamp = new DateTimeOffset(DateTime.SpecifyKind(time, time.Kind == DateTimeKind.Local ? DateTimeKind.Local : DateTimeKind.Utc)).ToUniversalTime();
                return true;
            case string text:
                return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out timestamp);
            case double or float or long or int:
                var seconds = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsFinite(seconds) && Math.Abs(seconds) < 1e11)
                {
                    timestamp = DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
                    return true;
                }

                break;
        }

        timestamp = default;
        return false;
    }

    private static bool TryReadTimestamp(JsonElement value, out DateTimeOffset timestamp) => value.ValueKind switch
    {
        JsonValueKind.String => TryReadTimestamp(value.GetString(), out timestamp),
        JsonValueKind.Number => TryReadTimestamp(value.GetDouble(), out timestamp),
        _ => TryReadTimestamp(null, out timestamp),
    };

    /// <summary>Category values repeat: decode each distinct one once (up to 100,000 kept).</summary>
    private static string Intern(ReadOnlySpan<byte> utf8, Span<char> buffer, Dictionary<string, string> pool, Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> lookup)
    {
        if (utf8.Length > buffer.Length)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var chars = buffer[..Encoding.UTF8.GetChars(utf8, buffer)];
        if (lookup.TryGetValue(chars, out var value))
        {
            return value;
        }

        value = chars.ToString();
        if (pool.Count < 100_000)
        {
            pool[value] = value;
        }

        return value;
    }

    /// <summary>
    /// Timestamps of consecutive rows share their first 19 characters (up to the second) most of the time: that part is
    /// parsed once, and only a fraction of a second and a trailing Z are parsed per row. Anything else goes to
    /// <see cref="DateTimeOffset.TryParse(ReadOnlySpan{char}, IFormatProvider?, DateTimeStyles, out DateTimeOffset)"/>.
    /// </summary>
    private sealed class TimestampCache
    {
        private readonly byte[] _prefix = new byte[19];
        private DateTimeOffset _second;
        private bool _valid;

        public bool TryParse(ReadOnlySpan<byte> utf8, Span<char> chars, out DateTimeOffset timestamp)
        {
            if (utf8.Length >= 20 && utf8[10] == (byte)'T' && utf8[^1] == (byte)'Z')
            {
                if (!_valid || !utf8[..19].SequenceEqual(_prefix))
                {
                    if (!TryParseTimestamp(utf8[..19], chars, out _second))
                    {
                        _valid = false;
                        return TryParseTimestamp(utf8, chars, out timestamp);
                    }

                    utf8[..19].CopyTo(_prefix);
                    _valid = true;
                }

                var rest = utf8[19..^1];
                if (rest.IsEmpty)
                {
                    timestamp = _second;
                    return true;
                }

                if (rest[0] == (byte)'.' && rest.Length is > 1 and <= 8)
                {
                    long ticks = 0;
                    var ok = true;
                    for (var i = 1; i < 8; i++)
                    {
                        var digit = i < rest.Length ? rest[i] - '0' : 0;
                        ok &= digit is >= 0 and <= 9;
                        ticks = (ticks * 10) + digit;
                    }

                    if (ok)
                    {
                        timestamp = _second.AddTicks(ticks);
                        return true;
                    }
                }
            }

            return TryParseTimestamp(utf8, chars, out timestamp);
        }
    }

    private static bool TryParseTimestamp(ReadOnlySpan<byte> utf8, Span<char> chars, out DateTimeOffset timestamp)
    {
        if (utf8.Length > chars.Length)
        {
            timestamp = default;
            return false;
        }

        if (double.TryParse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && Math.Abs(seconds) < 1e11)
        {
            timestamp = DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
            return true;
        }

        var length = Encoding.UTF8.GetChars(utf8, chars);
        return DateTimeOffset.TryParse(chars[..length], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out timestamp);
    }
}
