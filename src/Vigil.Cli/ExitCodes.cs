namespace Vigil.Cli;

/// <summary>The exit codes of <c>vigil</c>.</summary>
public static class ExitCodes
{
    /// <summary>It worked.</summary>
    public const int Success = 0;

    /// <summary>It failed: the server said no, could not be reached, or a file was invalid.</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;
}
