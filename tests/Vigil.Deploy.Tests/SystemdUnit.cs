namespace Vigil.Deploy.Tests;

/// <summary>A systemd unit file read as systemd reads it: sections of <c>Key=Value</c> lines, a key may repeat.</summary>
internal sealed class SystemdUnit
{
    private readonly List<(string Section, string Key, string Value)> _entries = [];

    public static SystemdUnit Read(string path)
    {
        var unit = new SystemdUnit();
        var section = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1];
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"{path}: '{line}' is not Key=Value");
            unit._entries.Add((section, line[..equals].Trim(), line[(equals + 1)..].Trim()));
        }

        return unit;
    }

    /// <summary>An <c>EnvironmentFile</c>: <c>KEY=VALUE</c> lines, comments with <c>#</c>.</summary>
    public static Dictionary<string, string> ReadEnvironmentFile(string path) =>
        File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#').Select(Assignment)
            .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);

    public static (string Key, string Value) Assignment(string line)
    {
        var equals = line.IndexOf('=', StringComparison.Ordinal);
        Assert.True(equals > 0, $"'{line}' is not KEY=VALUE");
        return (line[..equals].Trim(), line[(equals + 1)..].Trim().Trim('"'));
    }

    public IEnumerable<string> All(string section, string key) =>
        _entries.Where(e => e.Section == section && e.Key == key).Select(e => e.Value);

    public string Single(string section, string key) => Assert.Single(All(section, key));

    /// <summary>
    /// Runs <c>systemd-analyze verify</c> on the unit where systemd is installed, with ExecStart pointed at a real
    /// executable (verify checks that it exists); it must report nothing.
    /// </summary>
    public static async Task VerifyIfPossibleAsync(string path, CancellationToken cancellationToken)
    {
        if (Tools.Find("systemd-analyze") is not { } analyze)
        {
            TestContext.Current.SendDiagnosticMessage("systemd-analyze is not installed: the unit was checked without it");
            return;
        }

        var directory = Directory.CreateTempSubdirectory("vigil-systemd-").FullName;
        try
        {
            var copy = Path.Combine(directory, Path.GetFileName(path));
            var executable = Path.Combine(AppContext.BaseDirectory, "vigil");
            await File.WriteAllLinesAsync(
                copy,
                File.ReadAllLines(path).Select(l => l.StartsWith("ExecStart=", StringComparison.Ordinal) ? "ExecStart=" + executable + l[(l.IndexOf(' ', StringComparison.Ordinal))..] : l),
                cancellationToken);
            var result = await Tools.RunAsync(analyze, ["verify", copy], cancellationToken);
            Assert.True(result.ExitCode == 0 && !result.Output.Contains(Path.GetFileName(path) + ":", StringComparison.Ordinal), result.Output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
