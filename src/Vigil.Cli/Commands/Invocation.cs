using System.CommandLine;
using Vigil.Cli.Client;
using Vigil.Cli.Output;

namespace Vigil.Cli.Commands;

/// <summary>One run of one command: its parse result, output, cancellation, and a client for the server it names.</summary>
internal sealed class Invocation(CliContext context, ParseResult parseResult, CliOutput output, CancellationToken cancellationToken) : IDisposable
{
    private VigilClient? _client;

    public CliContext Context { get; } = context;

    public ParseResult ParseResult { get; } = parseResult;

    public CliOutput Output { get; } = output;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>The value of an option or argument of this command.</summary>
    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    /// <summary>The value of an option or argument of this command.</summary>
    public T? Get<T>(Argument<T> argument) => ParseResult.GetValue(argument);

    /// <summary>A client for <c>--server</c> with <c>--api-key</c>; a malformed address is a usage error.</summary>
    public VigilClient Client
    {
        get
        {
            if (_client is null)
            {
                var server = ParseResult.GetValue(Context.Server) ?? CliContext.DefaultServer;
                if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    throw new CliUsageException($"--server '{server}' is not an http(s) address such as {CliContext.DefaultServer}");
                }

                _client = new VigilClient(uri, ParseResult.GetValue(Context.ApiKey));
            }

            return _client;
        }
    }

    public void Dispose() => _client?.Dispose();
}
