using Spectre.Console;
using Vigil.Registry;
using Vigil.Server.Api;

namespace Vigil.Cli.Output;

/// <summary>How values look in tables: aliases coloured and always named in text (colour is never the only signal), times in UTC.</summary>
internal static class Styles
{
    /// <summary>An alias name in its colour: champion green, challenger yellow, previous-champion grey.</summary>
    public static string Alias(string alias) => alias switch
    {
        AliasNames.Champion => "[green bold]champion[/]",
        AliasNames.Challenger => "[yellow]challenger[/]",
        AliasNames.PreviousChampion => "[grey]previous-champion[/]",
        _ => Markup.Escape(alias),
    };

    /// <summary>A list of aliases, comma separated, or a dash when there are none.</summary>
    public static string Aliases(IEnumerable<string> aliases)
    {
        var text = string.Join(", ", aliases.Select(Alias));
        return text.Length == 0 ? "[grey]-[/]" : text;
    }

    /// <summary>The aliases pointing at <paramref name="version"/> according to <paramref name="aliases"/>.</summary>
    public static IReadOnlyList<string> AliasesOf(int version, AliasesView aliases)
    {
        var names = new List<string>();
        if (aliases.Champion == version)
        {
            names.Add(AliasNames.Champion);
        }

        if (aliases.Challenger == version)
        {
            names.Add(AliasNames.Challenger);
        }

        if (aliases.PreviousChampion == version)
        {
            names.Add(AliasNames.PreviousChampion);
        }

        return names;
    }

    /// <summary>"champion v3, challenger v4, previous-champion v2", or "no aliases".</summary>
    public static string AliasSummary(AliasesView aliases)
    {
        var parts = new List<string>();
        if (aliases.Champion is { } champion)
        {
            parts.Add($"{Alias(AliasNames.Champion)} v{champion}");
        }

        if (aliases.Challenger is { } challenger)
        {
            parts.Add($"{Alias(AliasNames.Challenger)} v{challenger}");
        }

        if (aliases.PreviousChampion is { } previous)
        {
            parts.Add($"{Alias(AliasNames.PreviousChampion)} v{previous}");
        }

        return parts.Count == 0 ? "[grey]no aliases[/]" : string.Join(", ", parts);
    }

    /// <summary>A version number or "none".</summary>
    public static string Version(int? version) => version is { } v ? $"v{v}" : "none";

    /// <summary>A time in UTC, to the second: 2026-11-20 10:00:00Z.</summary>
    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'");

    /// <summary>A time or a dash.</summary>
    public static string Time(DateTimeOffset? time) => time is { } t ? Time(t) : "-";

    /// <summary>Escaped text, or a grey dash when empty.</summary>
    public static string Text(string? text) => string.IsNullOrEmpty(text) ? "[grey]-[/]" : Markup.Escape(text);

    /// <summary>A fraction as a percentage with one decimal.</summary>
    public static string Percent(double fraction) => $"{fraction * 100:0.0}%";

    /// <summary>A new table in Vigil's style.</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn($"[bold]{Markup.Escape(column)}[/]"));
        }

        return table;
    }
}
