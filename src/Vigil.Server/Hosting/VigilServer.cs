using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Vigil.Persistence;
using Vigil.Server.Access;
using Vigil.Server.Routing;
using Vigil.Storage;

namespace Vigil.Server.Hosting;

/// <summary>Starts Vigil's server: opens and migrates the store, checks access rules, loads the routing snapshot, listens.</summary>
public static partial class VigilServer
{
    /// <summary>Starts the server and returns once it listens. Throws <see cref="VigilStartupException"/> (or the store's exception) with a clear message when it cannot.</summary>
    public static async Task<VigilApp> StartAsync(VigilServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = StoreFactory.Open(options.Store);
        try
        {
            await store.MigrateAsync(cancellationToken);
            return await StartOnStoreAsync(options, store, cancellationToken);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs the server until <paramref name="cancellationToken"/> fires or the process is asked to stop (Ctrl+C). Returns the exit code.</summary>
    public static async Task<int> RunAsync(VigilServerOptions options, CancellationToken cancellationToken)
    {
        VigilApp app;
        try
        {
            app = await StartAsync(options, cancellationToken);
        }
        catch (Exception ex) when (ex is VigilStartupException or StoreException)
        {
            await Console.Error.WriteLineAsync("vigil: " + ex.Message);
            return 1;
        }

        await using (app)
        {
            await app.WaitForShutdownAsync(cancellationToken);
        }

        return 0;
    }

    private static async Task<VigilApp> StartOnStoreAsync(VigilServerOptions options, IVigilStore store, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(VigilServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", options.LogLevel < LogLevel.Warning ? LogLevel.Warning : options.LogLevel);
        // Hosting's per-request diagnostics log only request start and finish (Information, filtered out above), yet a
        // category enabled at any level makes hosting start an Activity and a log scope for every request (about 600
        // bytes and an execution-context change each). Nothing here reads them; a startup failure still surfaces as the
        // exception StartAsync throws, reported below.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // A failing remote model is reported by Vigil once, with its reason; HttpClient's own per-call logs would repeat it with stack traces.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Error);
        builder.Services.AddVigil(store, options);
        // Nothing a client sends may stop the server: a background service that ends with an error is reported
        // (BackgroundServiceWatch), not allowed to take the host down.
        builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);

        // A bind failure is reported once, below, as a one-line reason rather than the host's stack trace; Vigil's own
        // background services catch and log their failures themselves. Vigil logs its own "listening" line.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

        var app = builder.Build();
        try
        {
            app.MapVigil();
            var keys = app.Services.GetRequiredService<KeyRing>();
            keys.LoopbackOnly = options.Urls.All(IsLoopback);
            await keys.RefreshAsync(cancellationToken);
            if (!keys.LoopbackOnly && !keys.HasAdminKey)
            {
                throw new VigilStartupException(
                    $"refusing to listen on {string.Join(", ", options.Urls)} without an admin API key: anyone who can reach it could change your models. " +
                    $"Create one with 'vigil keys create --name admin --scope admin --store {StoreFactory.Redact(options.Store)}', or bind to 127.0.0.1.");
            }

            await app.Services.GetRequiredService<RoutingState>().RebuildAsync(cancellationToken);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                throw new VigilStartupException($"cannot listen on {string.Join(", ", options.Urls)}: {ex.Message.TrimEnd('.')}. Choose another port with --urls.", ex);
            }
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var keyRing = app.Services.GetRequiredService<KeyRing>();

        var urls = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.Select(a => new Uri(a)).ToList() ?? [];
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Vigil");
        LogListening(logger, string.Join(", ", urls), store.Description);
        if (keyRing.OpenMode)
        {
            LogOpenMode(logger);
        }

        return new VigilApp(app, store, urls);
    }

    /// <summary>True for 127.0.0.0/8, ::1 and localhost.</summary>
    public static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return false;
        }

        if (uri.IsLoopback)
        {
            return true;
        }

        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Vigil is listening on {Urls} with store {Store}")]
    private static partial void LogListening(ILogger logger, string urls, string store);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Vigil runs OPEN: bound to loopback with no API keys, every request is allowed. Create an admin key with 'vigil keys create --scope admin' to require keys.")]
    private static partial void LogOpenMode(ILogger logger);
}

/// <summary>Why the server refused to start, in words a person can act on.</summary>
public sealed class VigilStartupException : Exception
{
    public VigilStartupException()
    {
    }

    public VigilStartupException(string message)
        : base(message)
    {
    }

    public VigilStartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
