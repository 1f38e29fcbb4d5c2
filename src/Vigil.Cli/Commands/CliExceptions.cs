namespace Vigil.Cli.Commands;

// The two expected ways a command stops early; CliContext.SetAction turns them into exit codes and messages.

/// <summary>A usage error found while running a command (exit 2).</summary>
internal sealed class CliUsageException(string message) : Exception(message);

/// <summary>An expected failure with a message and optional detail lines (exit 1).</summary>
internal sealed class CliFailureException(string message, IReadOnlyList<string>? details = null) : Exception(message)
{
    public IReadOnlyList<string> Details { get; } = details ?? [];
}
