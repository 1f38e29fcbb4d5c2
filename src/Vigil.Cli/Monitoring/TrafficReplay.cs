using System.Globalization;
using System.Text;
using CsvHelper;
using Vigil.Cli.DataFiles;
using Vigil.Monitoring;
using Vigil.Profiles;

namespace Vigil.Cli.Monitoring;

/// <summary>
/// Streams a traffic CSV file (a <c>timestamp</c> column in ISO 8601 or Unix seconds, the features, optionally
/// <c>score</c>, <c>confidence</c>, <c>latency_ms</c> and <c>error</c>) row by row into a <see cref="Backtester"/>,
/// checking each value against the baseline's schema: a missing feature column, or text in a numeric feature, counts as
/// a schema violation of that feature, as the gateway counts it live.
/// </summary>
internal static class TrafficReplay
{
    public static BacktestReport Run(string path, Backtester backtester, IReadOnlyDictionary<string, FeatureProfile> baseline, Action<string> warn, Action<long>? progress, CancellationToken cancellationToken)
    {
        if (Directory.Exists(path) || !File.Exists(path))
        {
            throw new DataFileException($"{path}: no such file");
        }

        if (!path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            throw new DataFileException($"{path}: traffic must be a .csv file with a timestamp column");
        }

        var options = CsvReaderOptions.Default with
        {
            Separator = ',',
            FieldCountMismatch = CsvFieldCountHandling.Throw,
            MalformedData = CsvMalformedDataHandling.Throw,
        };
        try
        {
            if (new FileInfo(path).Length == 0)
            {
                throw new DataFileException($"{path} is empty: expected a header row with a timestamp column");
            }

            using var reader = CsvReader.FromFile(path, options);
            reader.ReadHeader();

            var header = reader.Headers.ToArray();
            var timestampIndex = Array.IndexOf(header, "timestamp");
            if (timestampIndex < 0)
            {
                throw new DataFileException($"{path}: no 'timestamp' column (columns: {string.Join(", ", header)})");
            }

            var columns = new List<(int Index, string Feature, bool Numeric)>();
            var errorIndex = Array.IndexOf(header, "error");
            for (var i = 0; i < header.Length; i++)
            {
                var feature = BaselineProfiler.OutputColumns.GetValueOrDefault(header[i], header[i]);
                if (baseline.TryGetValue(feature, out var profile))
                {
                    columns.Add((i, feature, profile.Kind == ProfileKind.Numeric));
                }
                else if (!BaselineProfiler.ReservedColumns.Contains(header[i]) && !BaselineProfiler.OutputColumns.ContainsKey(header[i]))
                {
                    warn($"{path}: column '{header[i]}' is not in the baseline; not monitored");
                }
            }

            var missing = baseline.Keys.Where(f => !f.StartsWith('@') && !columns.Any(c => c.Feature == f)).ToArray();
            if (missing.Length > 0)
            {
                warn($"{path}: feature(s) {string.Join(", ", missing)} missing from the traffic; every row counts as a schema violation of each");
            }

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
                    progress?.Invoke(row);
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

                foreach (var (index, feature, numeric) in columns)
                {
                    var cell = reader.GetSpan(index);
                    if (numeric)
                    {
                        var profile = window.Numeric(feature);
                        if (cell.IsEmpty)
                        {
                            profile.AddNull();
                        }
                        else if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
                        {
                            profile.Add(number);
                        }
                        else if (Ascii.EqualsIgnoreCase(cell, "nan"u8))
                        {
                            profile.AddNull();
                        }
                        else
                        {
                            profile.AddTypeError();
                            window.AddViolation(feature);
                        }
                    }
                    else if (cell.IsEmpty)
                    {
                        window.Categorical(feature).AddNull();
                    }
                    else
                    {
                        window.Categorical(feature).Add(Intern(cell, text, pool, lookup));
                    }
                }

                foreach (var feature in missing)
                {
                    window.AddViolation(feature);
                }

                if (errorIndex >= 0 && reader.GetSpan(errorIndex) is { IsEmpty: false } error && !error.SequenceEqual("0"u8) && !Ascii.EqualsIgnoreCase(error, "false"u8))
                {
                    window.Errors++;
                }
            }

            if (row == 0)
            {
                throw new DataFileException($"{path} has a header but no data rows");
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
