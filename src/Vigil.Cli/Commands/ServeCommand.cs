using System.CommandLine;
using Vigil.Server.Hosting;
using Vigil.Server.Recording;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil serve</c>: runs the Vigil server in the foreground until Ctrl+C.</summary>
internal static class ServeCommand
{
    /// <summary>The store used when neither <c>--store</c> nor <c>VIGIL_STORE</c> is given.</summary>
    public const string DefaultStore = "sqlite:vigil.db";

    /// <summary>The address listened on when neither <c>--urls</c> nor <c>VIGIL_URLS</c> is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5000";

    public static Command Create(CliContext context)
    {
        var urls = new Option<string[]>("--urls")
        {
            Description = "Addresses to listen on, repeatable or separated by ';' or ','. Beyond loopback an admin key must exist [env: VIGIL_URLS]",
            HelpName = "url",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            DefaultValueFactory = _ => context.Environment(VigilEnvironment.Urls) is { Length: > 0 } env ? [env] : [DefaultUrl],
        };
        urls.Validators.Add(result =>
        {
            foreach (var url in Split(result.GetValueOrDefault<string[]>() ?? []))
            {
                var normalized = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
                if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    result.AddError($"{(result.Implicit ? VigilEnvironment.Urls : "--urls")} '{url}': expected an address such as http://127.0.0.1:5000 or http://0.0.0.0:8080");
                }
            }
        });
        var store = new Option<string>("--store")
        {
            Description = "The store: sqlite:PATH, a postgres:// URL or an Npgsql connection string [env: VIGIL_STORE]",
            HelpName = "store",
            DefaultValueFactory = _ => context.Environment(VigilEnvironment.Store) is { Length: > 0 } env ? env : DefaultStore,
        };
        var webhooks = new Option<string[]>("--webhook")
        {
            Description = "A URL that receives release decisions (rollback, promotion, abort, pause) as JSON; repeatable [env: VIGIL_WEBHOOKS, ';'-separated]",
            HelpName = "url",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => context.Environment(VigilEnvironment.Webhooks) is { Length: > 0 } env ? [env] : [],
        };
        webhooks.Validators.Add(result =>
        {
            foreach (var url in SplitWebhooks(result.GetValueOrDefault<string[]>() ?? []))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    result.AddError($"--webhook '{url}': expected an absolute http(s) URL");
                }
            }
        });
        var controllerTick = new Option<string>("--controller-tick")
        {
            Description = "How often the release controller looks for releases due for analysis (each is analysed every analysis_interval of its plan) [default: 10s]",
            HelpName = "duration",
            DefaultValueFactory = _ => "10s",
        };
        controllerTick.Validators.Add(result =>
        {
            if (ParseTick(result.GetValueOrDefault<string>()) is not { } tick || tick < TimeSpan.FromMilliseconds(100))
            {
                result.AddError($"--controller-tick '{result.GetValueOrDefault<string>()}': expected a duration of at least 100ms, such as 1s, 10s or 1m");
            }
        });
        var durability = new Option<string>("--recorder-durability")
        {
            Description = "async: answer at once, a crash loses the last few milliseconds of records; commit: answer only once the prediction's record is committed (503 if it cannot be in time) [env: VIGIL_RECORDER_DURABILITY] [default: async]",
            HelpName = "async|commit",
            DefaultValueFactory = _ => context.Environment(VigilEnvironment.RecorderDurability) is { Length: > 0 } env ? env : "async",
        };
        durability.Validators.Add(result =>
        {
            if (ParseDurability(result.GetValueOrDefault<string>()) is null)
            {
                result.AddError($"--recorder-durability '{result.GetValueOrDefault<string>()}': expected async or commit");
            }
        });
        var maxUnknown = new Option<string>("--max-unknown-features")
        {
            Description = $"Distinct undeclared feature names a monitoring window profiles by name; more count as one overflow violation [env: VIGIL_MAX_UNKNOWN_FEATURES] [default: {VigilServerOptions.DefaultMaxUnknownFeatures}]",
            HelpName = "count",
            DefaultValueFactory = _ => context.Environment(VigilEnvironment.MaxUnknownFeatures) is { Length: > 0 } env ? env : VigilServerOptions.DefaultMaxUnknownFeatures.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        maxUnknown.Validators.Add(result =>
        {
            if (ParseMaxUnknown(result.GetValueOrDefault<string>()) is null)
            {
                result.AddError($"--max-unknown-features '{result.GetValueOrDefault<string>()}': expected a whole number from 0 to 10000");
            }
        });
        var command = new Command("serve", "Run the Vigil server until Ctrl+C") { urls, store, webhooks, controllerTick, durability, maxUnknown };
        context.SetAction(command, async run =>
        {
            var options = new VigilServerOptions
            {
                Urls = [.. Split(run.Get(urls) ?? [])],
                Store = run.Get(store)!,
                TimeProvider = context.Time,
                Webhooks = [.. SplitWebhooks(run.Get(webhooks) ?? [])],
                ControllerTick = ParseTick(run.Get(controllerTick)) ?? TimeSpan.FromSeconds(10),
                RecorderDurability = ParseDurability(run.Get(durability)) ?? RecorderDurability.Async,
                MaxUnknownFeatures = ParseMaxUnknown(run.Get(maxUnknown)) ?? VigilServerOptions.DefaultMaxUnknownFeatures,
            };
            return await VigilServer.RunAsync(options, run.CancellationToken);
        });
        return command;
    }

    private static RecorderDurability? ParseDurability(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "async" => RecorderDurability.Async,
        "commit" => RecorderDurability.Commit,
        _ => null,
    };

    private static int? ParseMaxUnknown(string? text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n <= 10_000 ? n : null;

    /// <summary>A duration as plans write them (10s, 1m) or in milliseconds (200ms).</summary>
    private static TimeSpan? ParseTick(string? text)
    {
        if (text is not null && text.EndsWith("ms", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(0, text.Length - 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms))
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        return Duration.TryParse(text, out var duration) ? duration.Value : null;
    }

    // Webhook URLs may contain ',' in their query, so only ';' separates them.
    private static IEnumerable<string> SplitWebhooks(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    private static IEnumerable<string> Split(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split([';', ','], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
