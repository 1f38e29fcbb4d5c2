namespace Vigil.Server.Dashboard.Components;

/// <summary>One line of a <see cref="LineChart"/>: a name and its points in time order.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points);

/// <summary>A point of a <see cref="ChartSeries"/>.</summary>
public readonly record struct ChartPoint(DateTimeOffset At, double Value);

/// <summary>A vertical line on a chart at a moment that matters (a rollback, a promotion).</summary>
public sealed record ChartMarker(DateTimeOffset At, string Label);

/// <summary>Colours and dash patterns that stay apart for colour-blind readers (Okabe–Ito), and in greyscale by their dashes.</summary>
public static class ChartPalette
{
    private static readonly string[] Colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
    private static readonly string[] Dashes = ["", "6 3", "2 2", "8 3 2 3", "1 3", "10 4", "4 4"];

    public static string Color(int index) => Colors[index % Colors.Length];

    public static string Dash(int index) => Dashes[index % Dashes.Length];
}
