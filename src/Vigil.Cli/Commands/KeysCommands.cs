using System.CommandLine;
using Spectre.Console;
using Vigil.Access;
using Vigil.Audit;
using Vigil.Cli.Output;
using Vigil.Persistence;
using Vigil.Server.Api;
using Vigil.Storage;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil keys create|list|revoke</c>: API keys. <c>keys create --store …</c> writes straight to the store without a
/// server, to bootstrap the first admin key (a server bound beyond loopback refuses to start without one).
/// </summary>
internal static class KeysCommands
{
    /// <summary>The actor recorded in the audit log for keys created offline.</summary>
    public const string OfflineActor = "local";

    public static Command Create(CliContext context)
    {
        var keys = new Command("keys", "Create, list and revoke API keys");
        keys.Add(CreateKey(context));
        keys.Add(List(context));
        keys.Add(Revoke(context));
        return keys;
    }

    private static Command CreateKey(CliContext context)
    {
        var name = new Option<string>("--name") { Description = "A name for people and the audit log (e.g. ci, alice)", Required = true };
        var scopes = new Option<string[]>("--scope")
        {
            Description = "What the key may do, repeatable: admin (everything), read, predict, ingest",
            HelpName = "scope",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        scopes.Validators.Add(result =>
        {
            var parsed = ApiScopeNames.Parse(result.GetValueOrDefault<string[]>() ?? []);
            foreach (var error in parsed.Failure?.Errors ?? [])
            {
                result.AddError("--scope: " + error);
            }
        });
        var store = new Option<string?>("--store")
        {
            Description = "Write the key straight into this store, without a server (to bootstrap the first admin key): sqlite:vigil.db or postgres://…",
            HelpName = "store",
        };
        var json = CliContext.JsonOption();
        var command = new Command("create", "Create an API key; its secret is printed once") { name, scopes, store, json };
        context.SetAction(command, async run =>
        {
            var keyName = run.Get(name)!.Trim();
            var scopeNames = run.Get(scopes)!;
            CreatedKeyView created;
            if (run.Get(store) is { Length: > 0 } spec)
            {
                created = await CreateOfflineAsync(spec, keyName, ApiScopeNames.Parse(scopeNames).Unwrap(), context.Time, run);
            }
            else
            {
                created = await run.Client.CreateKeyAsync(new CreateKeyRequest(keyName, scopeNames), run.CancellationToken);
            }

            if (run.Get(json))
            {
                run.Output.Json(created);
                return ExitCodes.Success;
            }

            run.Output.MarkupLine($"Created key [bold]{Markup.Escape(created.Name)}[/] (id {Markup.Escape(created.Id)}, scopes {Markup.Escape(string.Join(", ", created.Scopes))}).");
            run.Output.Line();
            run.Output.Line("    " + created.Key);
            run.Output.Line();
            run.Output.MarkupLine("[yellow bold]Store this key now[/] (a secret manager, VIGIL_API_KEY): Vigil keeps only its hash and cannot show it again.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<CreatedKeyView> CreateOfflineAsync(string spec, string name, ApiScopes scopes, TimeProvider time, Invocation run)
    {
        IVigilStore opened;
        try
        {
            opened = StoreFactory.Open(spec);
        }
        catch (Exception ex) when (ex is StoreException or ArgumentException)
        {
            throw new CliFailureException($"cannot open the store '{StoreFactory.Redact(spec)}': {ex.Message}");
        }

        await using (opened)
        {
            try
            {
                await opened.MigrateAsync(run.CancellationToken);
            }
            catch (StoreException ex)
            {
                throw new CliFailureException($"cannot prepare the store {opened.Description}: {ex.Message}");
            }

            var now = time.GetUtcNow();
            var (key, secret) = ApiKeyFactory.Create(name, scopes, now);
            var result = await opened.CreateKeyAsync(key, new AuditContext(OfflineActor, now, "created offline with 'vigil keys create --store'"), run.CancellationToken);
            if (!result.IsSuccess)
            {
                throw new CliFailureException(result.Failure!.Message, result.Failure.Errors.Where(e => e != result.Failure.Message).ToList());
            }

            return new CreatedKeyView(key.Id, key.Name, ApiScopeNames.Format(key.Scopes), secret);
        }
    }

    private static Command List(CliContext context)
    {
        var json = CliContext.JsonOption();
        var command = new Command("list", "List API keys (never their secrets)") { json };
        context.SetAction(command, async run =>
        {
            var list = await run.Client.ListKeysAsync(run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(list);
                return ExitCodes.Success;
            }

            if (list.Keys.Count == 0)
            {
                run.Output.Line("No API keys. Create one with 'vigil keys create --name admin --scope admin'.");
                return ExitCodes.Success;
            }

            var table = Styles.Table("Id", "Name", "Scopes", "Created", "State");
            foreach (var key in list.Keys)
            {
                table.AddRow(
                    Markup.Escape(key.Id),
                    Markup.Escape(key.Name),
                    Markup.Escape(string.Join(", ", key.Scopes)),
                    Styles.Time(key.CreatedAt),
                    key.RevokedAt is { } revoked ? $"[red]revoked[/] {Styles.Time(revoked)}" : "[green]active[/]");
            }

            run.Output.Console.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Revoke(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The key's id (the 12 hex characters after 'vgl_')" };
        var json = CliContext.JsonOption();
        var command = new Command("revoke", "Revoke an API key; requests with it are refused from then on") { id, json };
        context.SetAction(command, async run =>
        {
            var key = await run.Client.RevokeKeyAsync(run.Get(id)!, run.CancellationToken);
            if (run.Get(json))
            {
                run.Output.Json(key);
                return ExitCodes.Success;
            }

            run.Output.MarkupLine($"Revoked key [bold]{Markup.Escape(key.Name)}[/] (id {Markup.Escape(key.Id)}).");
            return ExitCodes.Success;
        });
        return command;
    }
}
