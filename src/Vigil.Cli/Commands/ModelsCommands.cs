using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vigil.Cli.Output;
using Vigil.Cli.ServiceFiles;
using Vigil.Registry;
using Vigil.Server.Api;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil models register|list|show|promote|rollback|alias|history</c>: a service's model versions and the aliases
/// (champion, challenger, previous-champion) that point at them.
/// </summary>
internal static class ModelsCommands
{
    public static Command Create(CliContext context)
    {
        var models = new Command("models", "Register model versions and move the champion, challenger and previous-champion aliases");
        models.Add(Register(context));
        models.Add(List(context));
        models.Add(Show(context));
        models.Add(AliasAction(context, "promote", "Make the challenger the champion (the champion becomes previous-champion)", promote: true));
        models.Add(AliasAction(context, "rollback", "Swap champion and previous-champion (a rollback can itself be rolled back)", promote: false));
        models.Add(Alias(context));
        models.Add(History(context));
        models.Add(RetrainCommands.Eval(context));
        return models;
    }

    private static Argument<string> ServiceArgument() => new("service") { Description = "The service's name" };

    private static Option<string?> ReasonOption() => new("--reason") { Description = "Why, for the audit log" };

    private static Command Register(CliContext context)
    {
        var service = ServiceArgument();
        var backend = new Option<BackendKind>("--backend")
        {
            Description = "How the version runs: onnx (ONNX Runtime), mlnet (ML.NET .zip) or http (a remote model server)",
            HelpName = "onnx|mlnet|http",
            Required = true,
            CustomParser = result => ParseEnum<BackendKind>(result, "--backend", "onnx, mlnet, http"),
        };
        var location = new Option<string>("--location")
        {
            Description = "The model file (onnx, mlnet; made absolute before sending) or the base URL (http)",
            HelpName = "path|url",
            Required = true,
        };
        var protocol = new Option<HttpProtocol?>("--protocol")
        {
            Description = "For http: v2 (Open Inference Protocol, default) or json",
            HelpName = "v2|json",
            CustomParser = result => ParseEnum<HttpProtocol>(result, "--protocol", "v2, json"),
        };
        var model = new Option<string?>("--model") { Description = "For http v2: the remote model's name (default: the service's name)" };
        var timeout = new Option<int?>("--timeout-ms")
        {
            Description = $"Per-call timeout in milliseconds (default {BackendSpec.DefaultTimeoutMs})",
            HelpName = "ms",
        };
        timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } ms && (ms <= 0 || ms > BackendSpec.MaxTimeoutMs))
            {
                result.AddError($"--timeout-ms: must be between 1 and {BackendSpec.MaxTimeoutMs}");
            }
        });
        var meta = Arguments.KeyValues("--meta", "Metadata, repeatable: --meta git_sha=abc123", "key=value", text => (true, text), "any text is allowed");
        var metric = Arguments.KeyValues("--metric", "An offline metric, repeatable: --metric auc=0.91", "name=number", Arguments.Number, "the value must be a finite number");
        var alias = new Option<string?>("--alias") { Description = "Point champion or challenger at the new version in the same call", HelpName = "champion|challenger" };
        alias.AcceptOnlyFromAmong(AliasNames.Champion, AliasNames.Challenger);
        var baseline = new Option<string?>("--baseline")
        {
            Description = "Training data (.csv or .parquet) profiled as the new version's baseline; checked before the version is registered",
            HelpName = "train.csv",
        };
        var json = CliContext.JsonOption();
        var command = new Command("register", "Register a new model version of a service")
        {
            service, backend, location, protocol, model, timeout, meta, metric, alias, baseline, json,
        };
        context.SetAction(command, async run =>
        {
            var kind = run.Get(backend);
            var where = run.Get(location)!;

            // A file path means nothing to a server started in another directory: send it absolute.
            if (kind != BackendKind.Http)
            {
                where = Path.GetFullPath(where);
            }

            var request = new RegisterVersionRequest(
                new BackendSpec(kind, where, run.Get(protocol), run.Get(model), run.Get(timeout)),
                run.Get(meta) is { Count: > 0 } m ? m : null,
                run.Get(metric) is { Count: > 0 } x ? x : null,
                run.Get(alias));
            var name = run.Get(service)!;
            var rows = run.Get(baseline) is { } file ? await BaselineCommands.ReadAsync(run, file, name) : null;
            var version = await run.Output.WithProgressAsync(
                $"Registering {ServiceFileReader.EnumText(kind)} model for {name} (the server loads and checks it)…",
                () => run.Client.RegisterVersionAsync(name, request, run.CancellationToken));
            Vigil.Server.Monitoring.BaselineView? profiled = null;
            if (rows is not null)
            {
                try
                {
                    profiled = await run.Client.PutBaselineAsync(name, version.Number, rows, run.CancellationToken);
                }
                catch (Client.VigilApiException ex)
                {
                    throw new CliFailureException($"{name} v{version.Number} was registered, but its baseline was not stored: {ex.Message}; fix the file and run 'vigil baseline upload {name} --version {version.Number} --file FILE'");
                }
            }

            if (run.Get(json))
            {
                run.Output.Json(version);
                return ExitCodes.Success;
            }

            if (profiled is not null)
            {
                run.Output.Line($"Baseline: {profiled.Rows:N0} rows, features {string.Join(", ", profiled.Features.Select(f => $"{f.Name} ({f.Kind})"))}.");
            }

            run.Output.MarkupLine($"Registered [bold]{Markup.Escape(version.Service)} v{version.Number}[/]"
                + (version.Aliases.Count > 0 ? $" as {Styles.Aliases(version.Aliases)}" : string.Empty) + ".");
            if (version.Aliases.Count == 0)
            {
                run.Output.Line($"Next: vigil models alias {version.Service} challenger {version.Number}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CliContext context)
    {
        var service = ServiceArgument();
        var json = CliContext.JsonOption();
        var command = new Command("list", "List a service's versions and their aliases") { service, json };
        context.SetAction(command, async run =>
        {
            var list = await run.Client.ListVersionsAsync(run.Get(service)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(list);
                return ExitCodes.Success;
            }

            if (list.Versions.Count == 0)
            {
                run.Output.Line($"No versions yet. Register one with 'vigil models register {run.Get(service)} --backend onnx --location model.onnx'.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Version", "Aliases", "Backend", "Location", "Metrics", "Created", "By");
            foreach (var version in list.Versions)
            {
                table.AddRow(
                    $"v{version.Number}",
                    Styles.Aliases(version.Aliases),
                    ServiceFileReader.EnumText(version.Backend.Kind),
                    Markup.Escape(version.Backend.Location),
                    Styles.Text(string.Join(", ", version.Metrics.Select(kv => $"{kv.Key}={kv.Value.ToString(CultureInfo.InvariantCulture)}"))),
                    Styles.Time(version.CreatedAt),
                    Markup.Escape(version.CreatedBy));
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var service = ServiceArgument();
        var number = new Argument<int>("version") { Description = "The version number (1, 2, 3 …)" };
        var json = CliContext.JsonOption();
        var command = new Command("show", "Show one version: backend, metadata, metrics, aliases") { service, number, json };
        context.SetAction(command, async run =>
        {
            var version = await run.Client.GetVersionAsync(run.Get(service)!, run.Get(number), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(version);
                return ExitCodes.Success;
            }

            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            grid.AddRow("[bold]Version[/]", Markup.Escape($"{version.Service} v{version.Number}"));
            grid.AddRow("[bold]Aliases[/]", Styles.Aliases(version.Aliases));
            grid.AddRow("[bold]Backend[/]", Markup.Escape(ServiceFileReader.EnumText(version.Backend.Kind)
                + (version.Backend.Protocol is { } p ? $" ({ServiceFileReader.EnumText(p)})" : string.Empty)));
            grid.AddRow("[bold]Location[/]", Markup.Escape(version.Backend.Location));
            if (version.Backend.Model is { } model)
            {
                grid.AddRow("[bold]Remote model[/]", Markup.Escape(model));
            }

            grid.AddRow("[bold]Timeout[/]", $"{version.Backend.TimeoutMs ?? BackendSpec.DefaultTimeoutMs} ms");
            grid.AddRow("[bold]Created[/]", $"{Styles.Time(version.CreatedAt)} by {Markup.Escape(version.CreatedBy)}");
            foreach (var (key, value) in version.Metrics)
            {
                grid.AddRow($"[bold]metric[/] {Markup.Escape(key)}", value.ToString(CultureInfo.InvariantCulture));
            }

            foreach (var (key, value) in version.Metadata)
            {
                grid.AddRow($"[bold]meta[/] {Markup.Escape(key)}", Markup.Escape(value));
            }

            run.Output.Console.Write(grid);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command AliasAction(CliContext context, string name, string description, bool promote)
    {
        var service = ServiceArgument();
        var reason = ReasonOption();
        var json = CliContext.JsonOption();
        var command = new Command(name, description) { service, reason, json };
        context.SetAction(command, async run =>
        {
            var request = new AliasActionRequest(run.Get(reason));
            var serviceName = run.Get(service)!;
            var aliases = promote
                ? await run.Client.PromoteAsync(serviceName, request, run.CancellationToken)
                : await run.Client.RollbackAsync(serviceName, request, run.CancellationToken);
            return PrintAliases(run, json, aliases, promote
                ? $"Promoted: {Markup.Escape(serviceName)} now serves v{aliases.Champion}."
                : $"Rolled back: {Markup.Escape(serviceName)} now serves v{aliases.Champion}.");
        });
        return command;
    }

    private static Command Alias(CliContext context)
    {
        var service = ServiceArgument();
        var alias = new Argument<string>("alias") { Description = "champion, challenger or previous-champion" };
        alias.AcceptOnlyFromAmong([.. AliasNames.All]);
        var version = new Argument<string>("version") { Description = "The version to point at, or 'none' to clear the alias" };
        version.Validators.Add(result =>
        {
            if (!TryParseVersion(result.GetValueOrDefault<string>(), out _))
            {
                result.AddError($"version '{result.GetValueOrDefault<string>()}': expected a version number (1, 2, 3 …) or 'none'");
            }
        });
        var reason = ReasonOption();
        var json = CliContext.JsonOption();
        var command = new Command("alias", "Point an alias at a version, or clear it with 'none'") { service, alias, version, reason, json };
        context.SetAction(command, async run =>
        {
            var serviceName = run.Get(service)!;
            var aliasName = run.Get(alias)!;
            TryParseVersion(run.Get(version), out var target);
            var aliases = await run.Client.SetAliasAsync(serviceName, aliasName, new SetAliasRequest(target, run.Get(reason)), run.CancellationToken);
            return PrintAliases(run, json, aliases, target is { } v
                ? $"{Styles.Alias(aliasName)} of {Markup.Escape(serviceName)} now points at v{v}."
                : $"Cleared {Styles.Alias(aliasName)} of {Markup.Escape(serviceName)}.");
        });
        return command;
    }

    private static Command History(CliContext context)
    {
        var service = ServiceArgument();
        var at = Arguments.Time("--at", "Also say which version was champion at this time (ISO 8601, e.g. 2026-11-20T10:00:00Z)", context.Time, allowRelative: false);
        var json = CliContext.JsonOption();
        var command = new Command("history", "Show every alias move of a service, oldest first") { service, at, json };
        context.SetAction(command, async run =>
        {
            var history = await run.Client.GetHistoryAsync(run.Get(service)!, run.Get(at), run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(history);
                return ExitCodes.Success;
            }

            if (history.Changes.Count == 0)
            {
                run.Output.Line($"No alias has moved yet for {history.Service}.");
            }
            else
            {
                var table = Styles.Table("When", "Alias", "From", "To", "Action", "Actor", "Reason");
                foreach (var change in history.Changes)
                {
                    table.AddRow(
                        Styles.Time(change.At),
                        Styles.Alias(change.Alias),
                        Styles.Version(change.FromVersion),
                        Styles.Version(change.ToVersion),
                        Markup.Escape(change.Action),
                        Markup.Escape(change.Actor),
                        Styles.Text(change.Reason));
                }

                run.Output.Console.Write(table);
            }

            if (history.At is { } when)
            {
                run.Output.MarkupLine(history.ChampionAt is { } champion
                    ? $"At {Styles.Time(when)} the {Styles.Alias(AliasNames.Champion)} of {Markup.Escape(history.Service)} was [bold]v{champion}[/]."
                    : $"At {Styles.Time(when)} {Markup.Escape(history.Service)} had no {Styles.Alias(AliasNames.Champion)}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static int PrintAliases(Invocation run, Option<bool> json, AliasesView aliases, string message)
    {
        if (run.Get(json))
        {
            run.Output.Json(aliases);
            return ExitCodes.Success;
        }

        run.Output.MarkupLine(message);
        run.Output.MarkupLine("Aliases: " + Styles.AliasSummary(aliases));
        return ExitCodes.Success;
    }

    /// <summary>A version number, or null for <c>none</c>; false for anything else.</summary>
    private static bool TryParseVersion(string? text, out int? version)
    {
        version = null;
        if (string.Equals(text, "none", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            version = n;
            return true;
        }

        return false;
    }

    private static T ParseEnum<T>(System.CommandLine.Parsing.ArgumentResult result, string name, string allowed)
        where T : struct, Enum
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (ServiceFileReader.TryParseEnum<T>(text.ToLowerInvariant(), out var value))
        {
            return value;
        }

        result.AddError($"{name} '{text}': expected one of {allowed}");
        return default;
    }
}
