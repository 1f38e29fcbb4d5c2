using System.CommandLine;
using System.Globalization;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil data export</c>: the labelled production data, exactly as the trainers get it (docs/retraining.md, "Training data").</summary>
internal static class DataCommands
{
    public static Command Create(CliContext context)
    {
        var data = new Command("data", "Export a service's logged production data");
        data.Add(Export(context));
        return data;
    }

    private static Command Export(CliContext context)
    {
        var service = new Argument<string>("service") { Description = "The service" };
        var labeled = new Option<bool>("--labeled") { Description = "Only requests with a label outcome (required: the export is the trainers' labelled data)" };
        var since = new Option<string?>("--since") { Description = "Requests at or after this time (ISO 8601, e.g. 2026-03-01)", HelpName = "time" };
        var until = new Option<string?>("--until") { Description = "Requests before this time", HelpName = "time" };
        var format = new Option<string>("--format") { Description = "csv or parquet", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "parquet");
        var part = new Option<string>("--part") { Description = "all, train (what trainers get) or holdout (what the evaluation replays)", DefaultValueFactory = _ => "all" };
        part.AcceptOnlyFromAmong("all", "train", "holdout");
        var output = new Option<FileInfo?>("--output", "-o") { Description = "The file to write; default SERVICE-labelled.FORMAT", HelpName = "file" };
        var command = new Command("export", "Export the labelled production data (the same export the trainers get) as CSV or Parquet")
        {
            service, labeled, since, until, format, part, output,
        };
        context.SetAction(command, async run =>
        {
            if (!run.Get(labeled))
            {
                throw new CliUsageException("only labelled data can be exported: add --labeled (requests joined to their label outcome)");
            }

            var from = ParseTime(run.Get(since), "--since");
            var to = ParseTime(run.Get(until), "--until");
            var name = run.Get(service)!;
            var fmt = run.Get(format)!;
            var file = run.Get(output)?.FullName ?? Path.GetFullPath($"{name}-labelled.{fmt}");
            var (bytes, rows) = await run.Output.WithProgressAsync($"Exporting the labelled data of {name}…",
                () => run.Client.ExportTrainingDataAsync(name, fmt, run.Get(part)!, from, to, run.CancellationToken));
            await File.WriteAllBytesAsync(file, bytes, run.CancellationToken);
            run.Output.Line($"Wrote {rows.ToString(CultureInfo.InvariantCulture)} labelled rows to {file}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static DateTimeOffset? ParseTime(string? text, string option) =>
        string.IsNullOrWhiteSpace(text) ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at
        : throw new CliUsageException($"{option} '{text}' is not a time; use ISO 8601 such as 2026-03-01 or 2026-03-01T12:00:00Z");
}
