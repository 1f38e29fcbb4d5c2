namespace Vigil.Statistics;

/// <summary>How large a population stability index is (DESIGN.md): below 0.1 stable, 0.1 to 0.25 moderate, 0.25 and above major.</summary>
public enum PsiBand
{
    /// <summary>PSI &lt; 0.1.</summary>
    Stable,

    /// <summary>0.1 ≤ PSI &lt; 0.25.</summary>
    Moderate,

    /// <summary>PSI ≥ 0.25.</summary>
    Major,
}
