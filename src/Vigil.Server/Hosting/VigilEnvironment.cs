namespace Vigil.Server.Hosting;

/// <summary>
/// Every environment variable Vigil reads, in one place (docs/operations.md, "Environment variables"). Code reads them
/// through these names; the deploy tests check that the image, the systemd unit, the compose file and the Kubernetes
/// manifests set only variables listed here, and that each is documented.
/// </summary>
public static class VigilEnvironment
{
    /// <summary>The store of <c>vigil serve</c> when <c>--store</c> is not given.</summary>
    public const string Store = "VIGIL_STORE";

    /// <summary>The addresses <c>vigil serve</c> listens on when <c>--urls</c> is not given.</summary>
    public const string Urls = "VIGIL_URLS";

    /// <summary>The release-decision webhooks of <c>vigil serve</c> when no <c>--webhook</c> is given.</summary>
    public const string Webhooks = "VIGIL_WEBHOOKS";

    /// <summary>This replica's id in leader election.</summary>
    public const string ReplicaId = "VIGIL_REPLICA_ID";

    /// <summary>The retraining loop's folder for exported data and trained models.</summary>
    public const string Artifacts = "VIGIL_ARTIFACTS";

    /// <summary>The server a <c>vigil</c> client command talks to when <c>--server</c> is not given.</summary>
    public const string Server = "VIGIL_SERVER";

    /// <summary>The API key a <c>vigil</c> client command sends when <c>--api-key</c> is not given.</summary>
    public const string ApiKey = "VIGIL_API_KEY";

    /// <summary><c>1</c> or <c>true</c>: a <c>vigil</c> command that fails unexpectedly prints the stack trace.</summary>
    public const string Debug = "VIGIL_DEBUG";

    /// <summary>Every variable with what reads it and what it means, as docs/operations.md lists them.</summary>
    public static IReadOnlyList<VigilEnvironmentVariable> All { get; } =
    [
        new(Store, VigilEnvironmentReader.Server, "the store: `sqlite:PATH`, a `postgres://` URL or an Npgsql connection string (`--store`)"),
        new(Urls, VigilEnvironmentReader.Server, "addresses to listen on, separated by `;` or `,` (`--urls`)"),
        new(Webhooks, VigilEnvironmentReader.Server, "release-decision and alert webhooks, separated by `;` (`--webhook`)"),
        new(ReplicaId, VigilEnvironmentReader.Server, "this replica's id in leader election (default: host name, process id, random suffix)"),
        new(Artifacts, VigilEnvironmentReader.Server, "the retraining loop's folder (default `vigil-artifacts` in the working directory)"),
        new(Server, VigilEnvironmentReader.Client, "the server a command talks to (`--server`)"),
        new(ApiKey, VigilEnvironmentReader.Client, "the API key a command sends (`--api-key`)"),
        new(Debug, VigilEnvironmentReader.Client, "`1`: print the stack trace of an unexpected failure"),
    ];
}

/// <summary>An environment variable Vigil reads.</summary>
/// <param name="Name">The variable's name.</param>
/// <param name="ReadBy">Whether <c>vigil serve</c> or the client commands read it.</param>
/// <param name="Meaning">What it sets, in the words of docs/operations.md.</param>
public sealed record VigilEnvironmentVariable(string Name, VigilEnvironmentReader ReadBy, string Meaning);

/// <summary>What reads an environment variable.</summary>
public enum VigilEnvironmentReader
{
    /// <summary><c>vigil serve</c> (the server process).</summary>
    Server,

    /// <summary>The <c>vigil</c> client commands that talk to a server.</summary>
    Client,
}
