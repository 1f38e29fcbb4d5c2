using System.Reflection;

namespace Vigil.Server.Hosting;

/// <summary>
/// Which build of Vigil this is: its version and the git commit it was built from, as <c>vigil --version</c> and
/// <c>GET /v1/status</c> report them. The .NET SDK appends the commit to the assembly's informational version
/// (<c>0.1.0+3479e6f…</c>) when the source tree is a git checkout; a build from a tarball has no commit
/// (<see cref="UnknownCommit"/>) unless one is passed with <c>-p:SourceRevisionId=…</c> (the container build's
/// <c>REVISION</c> argument does this).
/// </summary>
public static class VigilBuild
{
    /// <summary>The commit reported for a build made without git information.</summary>
    public const string UnknownCommit = "unknown";

    private static readonly (string Version, string Commit) Current =
        Parse(typeof(VigilBuild).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    /// <summary>The version, <c>0.1.0</c> (set in Directory.Build.props).</summary>
    public static string Version => Current.Version;

    /// <summary>The full git commit id this build was made from, or <see cref="UnknownCommit"/>.</summary>
    public static string Commit => Current.Commit;

    /// <summary>Splits an informational version <c>VERSION[+COMMIT]</c> into its version and commit.</summary>
    internal static (string Version, string Commit) Parse(string? informationalVersion)
    {
        if (string.IsNullOrWhiteSpace(informationalVersion))
        {
            return ("0.0.0", UnknownCommit);
        }

        var plus = informationalVersion.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0)
        {
            return (informationalVersion.Trim(), UnknownCommit);
        }

        var commit = informationalVersion[(plus + 1)..].Trim();
        return (informationalVersion[..plus].Trim(), commit.Length > 0 ? commit : UnknownCommit);
    }
}
