namespace Vigil.Cli.Client;

/// <summary>The Vigil server could not be reached at all (connection refused, unknown host, timeout, not an HTTP server).</summary>
public sealed class VigilUnreachableException : Exception
{
    public VigilUnreachableException(Uri server, string reason, Exception? innerException = null)
        : base($"cannot reach Vigil at {server.GetLeftPart(UriPartial.Authority)}: {reason}. Start it with 'vigil serve' or pass --server.", innerException)
    {
        Server = server;
        Reason = reason;
    }

    /// <summary>The address that was tried.</summary>
    public Uri Server { get; }

    /// <summary>Why, in a few lower-case words (<c>connection refused</c>).</summary>
    public string Reason { get; }
}
