using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Vigil.Cli.Flags;
using Vigil.Cli.Output;
using Vigil.Routing.Flags;
using Vigil.Server.Api;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil flags list|show|create|set|on|off|evaluate|segments</c>: feature flags, service and release flags included,
/// and the segments their rules name (docs/flags.md).
/// </summary>
internal static class FlagsCommands
{
    public static Command Create(CliContext context)
    {
        var flags = new Command("flags", "List, create, change, switch and evaluate feature flags (docs/flags.md)");
        flags.Add(List(context));
        flags.Add(Show(context));
        flags.Add(CreateFlags(context));
        flags.Add(Set(context));
        flags.Add(Switch(context, on: true));
        flags.Add(Switch(context, on: false));
        flags.Add(Evaluate(context));
        flags.Add(Segments(context));
        return flags;
    }

    private static Argument<string> KeyArgument() => new("key") { Description = "The flag's key (a service's flag is <service>-enabled)" };

    private static Option<FileInfo> FileOption(string description) => new("--file", "-f")
    {
        Description = description,
        HelpName = "flag.yaml",
        Required = true,
    };

    private static Command List(CliContext context)
    {
        var service = new Option<string?>("--service") { Description = "Only the flags of this service", HelpName = "service" };
        var json = CliContext.JsonOption();
        var command = new Command("list", "List flags: key, service, on/off, rules, percentage, revision") { service, json };
        context.SetAction(command, async run =>
        {
            var list = await run.Client.ListFlagsAsync(run.Get(service), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(list);
                return ExitCodes.Success;
            }

            if (list.Flags.Count == 0)
            {
                run.Output.Line("No flags. Create one with 'vigil flags create -f flag.yaml'; every service has its own, <service>-enabled.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Key", "Service", "State", "Rules", "Percentage", "Default", "Revision", "Updated");
            foreach (var flag in list.Flags)
            {
                table.AddRow(
                    Markup.Escape(flag.Key),
                    flag.Service is { } s ? Markup.Escape(s) : "[grey]-[/]",
                    State(flag.Enabled),
                    (flag.Rules?.Count ?? 0).ToString(CultureInfo.InvariantCulture),
                    flag.Percentage is { } p ? p.ToString("0.####", CultureInfo.InvariantCulture) + "%" : "[grey]-[/]",
                    flag.Default ? "true" : "false",
                    flag.Revision?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    Styles.Time(flag.UpdatedAt));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Segments(CliContext context)
    {
        var segments = new Command("segments", "List and apply segments: named lists of conditions that flag rules reuse");
        var json = CliContext.JsonOption();
        var list = new Command("list", "List segments: key, conditions, service, revision") { json };
        context.SetAction(list, async run =>
        {
            var all = await run.Client.ListSegmentsAsync(run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(all);
                return ExitCodes.Success;
            }

            if (all.Segments.Count == 0)
            {
                run.Output.Line("No segments. Define one with 'vigil flags segments apply -f segment.yaml' (key, conditions).");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Key", "Conditions", "Service", "Revision", "Updated");
            foreach (var segment in all.Segments)
            {
                table.AddRow(
                    Markup.Escape(segment.Key),
                    Markup.Escape(string.Join(" and ", segment.Conditions.Select(Describe))),
                    segment.Service is { } service ? Markup.Escape(service) : "[grey]-[/]",
                    segment.Revision?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    Styles.Time(segment.UpdatedAt));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        segments.Add(list);

        var file = new Option<FileInfo>("--file", "-f") { Description = "A segment, or a list of segments, in YAML or JSON", HelpName = "segment.yaml", Required = true };
        var apply = new Command("apply", "Create each segment of a file, or replace it when it exists (at the file's revision, else the current one)") { file };
        context.SetAction(apply, async run =>
        {
            var (read, errors) = FlagFileReader.ReadSegmentsFile(run.Get(file)!.FullName);
            if (errors.Count > 0)
            {
                throw new CliFailureException($"{run.Get(file)!.Name} has {errors.Count} problem{(errors.Count == 1 ? "" : "s")}", errors);
            }

            var existing = (await run.Client.ListSegmentsAsync(run.CancellationToken)).Segments.ToDictionary(x => x.Key, StringComparer.Ordinal);
            foreach (var segment in read)
            {
                var done = existing.TryGetValue(segment.Key, out var current)
                    ? await run.Client.ReplaceSegmentAsync(segment.Key, segment with { Revision = segment.Revision ?? current.Revision }, run.CancellationToken)
                    : await run.Client.CreateSegmentAsync(segment, run.CancellationToken);
                run.Output.MarkupLine($"{(current is null ? "Created" : "Updated")} segment [bold]{Markup.Escape(done.Key)}[/] (revision {done.Revision}).");
            }

            return ExitCodes.Success;
        });
        segments.Add(apply);
        return segments;
    }

    private static string Describe(Condition c) => c.Values is { } values ? $"{c.Attribute} {c.Operator} [{string.Join(", ", values)}]" : $"{c.Attribute} {c.Operator} {c.Value}";

    private static Command Show(CliContext context)
    {
        var key = KeyArgument();
        var json = CliContext.JsonOption();
        var command = new Command("show", "Show one flag: its switch, rules, percentage and default (--json: the document 'set -f' takes back)") { key, json };
        context.SetAction(command, async run =>
        {
            var flag = await run.Client.GetFlagAsync(run.Get(key)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(flag);
                return ExitCodes.Success;
            }

            Print(run.Output, flag);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateFlags(CliContext context)
    {
        var file = FileOption("The flag, or a list of flags, in YAML or JSON (docs/flags.md, \"The flag model\"); each may name its service");
        var json = CliContext.JsonOption();
        var command = new Command("create", "Create flags from a file; every mistake in the file is listed and nothing is sent") { file, json };
        context.SetAction(command, async run =>
        {
            var read = Read(run.Get(file)!);
            var created = new List<FlagView>();
            foreach (var flag in read.Flags)
            {
                try
                {
                    created.Add(await run.Client.CreateFlagAsync(flag, run.CancellationToken));
                }
                catch (Client.VigilApiException ex) when (created.Count > 0)
                {
                    throw new CliFailureException(
                        $"created {string.Join(", ", created.Select(c => c.Key))}, then flag '{flag.Key}' was refused: {CliContext.Describe(ex)}",
                        ex.Errors);
                }
            }

            if (run.Get(json))
            {
                run.Output.Json(new FlagList(created));
                return ExitCodes.Success;
            }

            foreach (var flag in created)
            {
                run.Output.MarkupLine($"Created flag [bold]{Markup.Escape(flag.Key)}[/] ({State(flag.Enabled)}, revision {flag.Revision}).");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Set(CliContext context)
    {
        var key = KeyArgument();
        var file = FileOption("The flag's new definition, YAML or JSON; with 'revision:' the change is refused if the flag changed since that revision");
        var json = CliContext.JsonOption();
        var command = new Command("set", "Replace a flag's definition (rules, percentage, default, switch) from a file") { key, file, json };
        context.SetAction(command, async run =>
        {
            var flagKey = run.Get(key)!;
            var read = Read(run.Get(file)!);
            if (read.Flags.Count != 1)
            {
                throw new CliFailureException($"the file holds {read.Flags.Count} flags; 'set' takes one");
            }

            var flag = read.Flags[0];
            if (flag.Key != flagKey)
            {
                throw new CliFailureException($"the file defines flag '{flag.Key}', not '{flagKey}'; a flag's key cannot change");
            }

            // Without a revision in the file, the change is based on the flag as it is now (last writer wins).
            if (flag.Revision is null)
            {
                var current = await run.Client.GetFlagAsync(flagKey, run.CancellationToken);
                flag = flag with { Revision = current.Revision };
            }

            var updated = await run.Client.ReplaceFlagAsync(flagKey, flag, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(updated);
                return ExitCodes.Success;
            }

            run.Output.MarkupLine($"Updated flag [bold]{Markup.Escape(updated.Key)}[/] ({State(updated.Enabled)}, revision {updated.Revision}).");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Switch(CliContext context, bool on)
    {
        var key = KeyArgument();
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit log", HelpName = "text" };
        var json = CliContext.JsonOption();
        var command = new Command(
            on ? "on" : "off",
            on ? "Turn a flag on: its rules and percentage decide again" : "Turn a flag off for every request (a service flag: the model is no longer called)")
        {
            key, reason, json,
        };
        context.SetAction(command, async run =>
        {
            var why = run.Get(reason);
            var flag = await run.Client.SwitchFlagAsync(run.Get(key)!, on, string.IsNullOrWhiteSpace(why) ? null : why.Trim(), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(flag);
                return ExitCodes.Success;
            }

            run.Output.MarkupLine($"Flag [bold]{Markup.Escape(flag.Key)}[/] is {State(flag.Enabled)} (revision {flag.Revision}).");
            if (!on && flag.Service is { } service && flag.Key == ServiceFlag.KeyFor(service))
            {
                run.Output.Line($"'{service}' no longer calls its model: requests get its fallback output, or 503. Undo with 'vigil flags on {flag.Key}'.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Evaluate(CliContext context)
    {
        var flagKey = KeyArgument();
        var requestKey = new Option<string?>("--key") { Description = "The request's sticky key (user or session id)", HelpName = "key" };
        var attributes = Arguments.KeyValues<string>(
            "--attr",
            "A request attribute, repeatable: --attr country=DE --attr app_version=42",
            "name=value",
            text => (true, text),
            "expected NAME=VALUE");
        var json = CliContext.JsonOption();
        var command = new Command("evaluate", "Evaluate a flag for a request's key and attributes as this server's request path does, and say why")
        {
            flagKey, requestKey, attributes, json,
        };
        context.SetAction(command, async run =>
        {
            var attrs = run.Get(attributes) ?? [];
            var request = new FlagEvaluateRequest(run.Get(requestKey), attrs.Count == 0 ? null : JsonSerializer.SerializeToElement(attrs));
            var result = await run.Client.EvaluateFlagAsync(run.Get(flagKey)!, request, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(result);
                return ExitCodes.Success;
            }

            var why = EvaluationReasons.Name(result.Reason);
            if (result.RuleIndex is { } rule)
            {
                why += $", rule {rule}";
            }

            if (result.ErrorCode is { } code)
            {
                why += ", " + EvaluationReasons.Name(code) + (result.Attribute is { } a ? $" on attribute '{a}'" : string.Empty);
            }

            run.Output.MarkupLine($"{Markup.Escape(result.Flag)}: {(result.Value ? "[green bold]true[/]" : "[red bold]false[/]")} ({Markup.Escape(why)})");
            return ExitCodes.Success;
        });
        return command;
    }

    private static FlagFileResult Read(FileInfo file)
    {
        var read = FlagFileReader.ReadFile(file.FullName);
        if (!read.IsValid)
        {
            throw new CliFailureException($"{file.Name} is not a valid flag file ({read.Errors.Count} problem{(read.Errors.Count == 1 ? "" : "s")}); nothing was sent", read.Errors);
        }

        return read;
    }

    private static string State(bool enabled) => enabled ? "[green bold]on[/]" : "[red bold]off[/]";

    private static void Print(CliOutput output, FlagView flag)
    {
        output.MarkupLine($"[bold]{Markup.Escape(flag.Key)}[/]: {State(flag.Enabled)}");
        output.Line($"Service: {flag.Service ?? "-"}");
        output.Line($"Revision: {flag.Revision}, updated {Styles.Time(flag.UpdatedAt)}");
        if (!string.IsNullOrEmpty(flag.Description))
        {
            output.Line($"Description: {flag.Description}");
        }

        var rules = flag.Rules ?? [];
        if (rules.Count == 0)
        {
            output.Line("Rules: none");
        }

        for (var i = 0; i < rules.Count; i++)
        {
            var parts = (rules[i].Conditions ?? []).Select(Describe)
                .Concat((rules[i].Segments ?? []).Select(s => $"in segment {s}"));
            output.Line($"Rule {i}: {string.Join(" and ", parts)} → {(rules[i].Value ? "true" : "false")}");
        }

        output.Line($"Percentage: {(flag.Percentage is { } p ? p.ToString("0.####", CultureInfo.InvariantCulture) + "%" : "none")}");
        output.Line($"Default: {(flag.Default ? "true" : "false")}");
    }
}
