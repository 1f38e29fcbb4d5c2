using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vigil.Cli.DataFiles;
using Vigil.Cli.Output;
using Vigil.Statistics;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil analyze drift</c>: offline analysis of data files, no server needed. Compares the columns of a current data
/// set with a baseline using the statistics of DESIGN.md's "Metric conventions" (docs/drift.md). Exit 0 whether or not
/// drift is found, so model CI decides what to do with the JSON; 1 when a file cannot be compared; 2 on usage errors.
/// </summary>
internal static class AnalyzeCommands
{
    public static Command Create(CliContext context)
    {
        var analyze = new Command("analyze", "Offline analysis of data files (no server needed)");
        analyze.Add(Drift(context));
        analyze.Add(Pipelines.AnalyzeRankingCommand.Create(context));
        return analyze;
    }

    private static Command Drift(CliContext context)
    {
        var baseline = new Option<string>("--baseline")
        {
            Description = "The reference data: a .csv file with a header row, or a .parquet file",
            HelpName = "file",
            Required = true,
        };
        var current = new Option<string>("--current")
        {
            Description = "The data to compare with the baseline (.csv or .parquet)",
            HelpName = "file",
            Required = true,
        };
        var columns = new Option<string[]?>("--columns")
        {
            Description = "Only these columns, comma separated (default: every column present in both files)",
            HelpName = "x,y",
            CustomParser = result =>
            {
                var names = result.Tokens.SelectMany(t => t.Value.Split(',')).Select(n => n.Trim()).ToArray();
                if (names.Length == 0 || names.Any(n => n.Length == 0))
                {
                    result.AddError("--columns: expected column names separated by commas, such as --columns price,country");
                    return null;
                }

                var twice = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
                if (twice is not null)
                {
                    result.AddError($"--columns: '{twice.Key}' is given twice");
                    return null;
                }

                return names;
            },
        };
        var correction = new Option<MultipleTestingCorrection>("--correction")
        {
            Description = "The multiple-testing correction across tested columns (default benjamini-hochberg)",
            HelpName = "benjamini-hochberg|bonferroni|none",
            DefaultValueFactory = _ => MultipleTestingCorrection.BenjaminiHochberg,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                switch (text)
                {
                    case "benjamini-hochberg" or "bh":
                        return MultipleTestingCorrection.BenjaminiHochberg;
                    case "bonferroni":
                        return MultipleTestingCorrection.Bonferroni;
                    case "none":
                        return MultipleTestingCorrection.None;
                    default:
                        result.AddError($"--correction '{text}': expected benjamini-hochberg, bonferroni or none");
                        return MultipleTestingCorrection.BenjaminiHochberg;
                }
            },
        };
        var alpha = new Option<double>("--alpha")
        {
            Description = "The significance level for adjusted p-values (default 0.05)",
            HelpName = "level",
            DefaultValueFactory = _ => DriftOptions.Default.Alpha,
        };
        alpha.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is not (> 0 and < 1))
            {
                result.AddError("--alpha: must be between 0 and 1, such as 0.05");
            }
        });
        var json = CliContext.JsonOption();
        var command = new Command("drift", "Compare each column of --current with --baseline: PSI, Jensen–Shannon, Kolmogorov–Smirnov, Wasserstein, chi-squared")
        {
            baseline, current, columns, correction, alpha, json,
        };
        context.SetAction(command, async run =>
        {
            var wanted = run.Get(columns) is { Length: > 0 } given ? given : null;
            DataFile before, after;
            try
            {
                before = await DataFileReader.ReadAsync(run.Get(baseline)!, wanted, run.CancellationToken);
                after = await DataFileReader.ReadAsync(run.Get(current)!, wanted, run.CancellationToken);
            }
            catch (DataFileException ex)
            {
                throw new CliFailureException(ex.Message);
            }

            var names = wanted ?? [.. before.Header.Where(h => after.Columns.ContainsKey(h))];
            if (wanted is null)
            {
                var onlyOne = before.Header.Except(after.Header).Select(n => $"'{n}' (baseline only)")
                    .Concat(after.Header.Except(before.Header).Select(n => $"'{n}' (current only)")).ToList();
                if (names.Length == 0)
                {
                    throw new CliFailureException($"{before.Path} and {after.Path} have no column in common");
                }

                if (onlyOne.Count > 0)
                {
                    run.Output.Warn($"not compared, not in both files: {string.Join(", ", onlyOne)}");
                }
            }

            var pairs = names.Select(name => Pair(before, after, name, run.Output)).ToList();
            var report = DriftAnalyzer.Compare(pairs, new DriftOptions { Correction = run.Get(correction), Alpha = run.Get(alpha) });
            if (run.Get(json))
            {
                run.Output.Json(report);
                return ExitCodes.Success;
            }

            PrintTable(run.Output, report, before, after);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The two samples of one column; a column numeric in one file and text in the other is an error naming both.</summary>
    private static (ColumnSample, ColumnSample) Pair(DataFile before, DataFile after, string name, CliOutput output)
    {
        var b = before.Columns[name];
        var c = after.Columns[name];
        if ((b.Kind, c.Kind) is (ColumnKind.Numeric, ColumnKind.Text) or (ColumnKind.Text, ColumnKind.Numeric))
        {
            var (numeric, text, numericFile, textFile) = b.Kind == ColumnKind.Numeric ? (b, c, before, after) : (c, b, after, before);
            var example = text.FirstText is { } first ? $" (row {first.Row}: '{first.Value}')" : string.Empty;
            throw new CliFailureException(
                $"column '{name}' is numeric in {numericFile.Path} but text in {textFile.Path}{example}; fix the values or leave '{name}' out with --columns");
        }

        foreach (var (column, file) in new[] { (b, before), (c, after) })
        {
            if (column.NaNs > 0)
            {
                output.Warn($"column '{name}' of {file.Path}: {column.NaNs} NaN value(s) counted as nulls");
            }
        }

        var categorical = b.Kind == ColumnKind.Text || c.Kind == ColumnKind.Text;
        return categorical
            ? (ColumnSample.Categorical(name, b.Categories, b.Nulls), ColumnSample.Categorical(name, c.Categories, c.Nulls))
            : (ColumnSample.Numeric(name, b.Numbers, b.Nulls), ColumnSample.Numeric(name, c.Numbers, c.Nulls));
    }

    private static void PrintTable(CliOutput output, DriftReport report, DataFile before, DataFile after)
    {
        output.MarkupLine($"Baseline [bold]{Markup.Escape(before.Path)}[/] ({before.Rows:N0} rows), current [bold]{Markup.Escape(after.Path)}[/] ({after.Rows:N0} rows)");
        var table = Styles.Table("Column", "Type", "Nulls", "PSI", "JS", "KS D", "KS p", "Wasserstein (÷σ)", "χ²", "χ² p", "Method", "Adj. p", "Drifted");
        foreach (var c in report.Columns)
        {
            table.AddRow(
                Markup.Escape(c.Name),
                c.Type == DriftColumnType.Numeric ? "numeric" : "categorical",
                $"{Styles.Percent(c.NullRateBaseline)} → {Styles.Percent(c.NullRateCurrent)}",
                c.Psi is { } psi ? $"{Number(psi)} {Band(Psi.Band(psi))}" : Dash,
                Optional(c.JsDistance),
                Optional(c.KsStatistic),
                PValue(c.KsPValue),
                c.Wasserstein is { } w ? $"{Number(w)} ({Number(c.WassersteinNormalized!.Value)})" : Dash,
                Optional(c.Chi2Statistic),
                PValue(c.Chi2PValue),
                MethodName(c.Method),
                PValue(c.PValueAdjusted),
                c.Drifted ? "[red bold]yes[/]" : c.Method == DriftMethod.None ? "[grey]no data[/]" : "[green]no[/]");
        }

        output.Console.Write(table);
        var correction = report.Correction switch
        {
            MultipleTestingCorrection.BenjaminiHochberg => "Benjamini–Hochberg",
            MultipleTestingCorrection.Bonferroni => "Bonferroni",
            _ => "no correction",
        };
        output.Line($"{report.DriftedColumns} of {report.Columns.Count} column(s) drifted. Tests: p adjusted with {correction}, drifted below α = "
            + $"{report.Alpha.ToString(CultureInfo.InvariantCulture)}; PSI: drifted at ≥ {report.PsiThreshold.ToString(CultureInfo.InvariantCulture)}. See docs/drift.md.");
    }

    private const string Dash = "[grey]-[/]";

    private static string Optional(double? value) => value is { } v ? Number(v) : Dash;

    private static string Number(double value) => value.ToString(Math.Abs(value) is >= 1e-3 and < 1e6 or 0 ? "0.####" : "0.##e+0", CultureInfo.InvariantCulture);

    private static string PValue(double? p) => p switch
    {
        null => Dash,
        0.0 => "0",
        < 1e-4 => p.Value.ToString("0.#e+0", CultureInfo.InvariantCulture),
        _ => p.Value.ToString("0.####", CultureInfo.InvariantCulture),
    };

    private static string Band(PsiBand band) => band switch
    {
        PsiBand.Major => "[red](major)[/]",
        PsiBand.Moderate => "[yellow](moderate)[/]",
        _ => "[grey](stable)[/]",
    };

    private static string MethodName(DriftMethod method) => method switch
    {
        DriftMethod.Ks => "ks",
        DriftMethod.Chi2 => "chi2",
        DriftMethod.Psi => "psi",
        _ => "none",
    };
}
