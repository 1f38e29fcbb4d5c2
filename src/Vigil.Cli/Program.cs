namespace Vigil.Cli;

/// <summary>The <c>vigil</c> executable.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => CliApp.RunAsync(args, Console.Out, Console.Error);
}
