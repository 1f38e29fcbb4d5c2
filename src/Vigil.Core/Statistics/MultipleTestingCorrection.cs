namespace Vigil.Statistics;

/// <summary>How p-values of many columns (or segments) are adjusted before they are compared with α.</summary>
public enum MultipleTestingCorrection
{
    /// <summary>Benjamini–Hochberg: controls the false discovery rate (the default).</summary>
    BenjaminiHochberg,

    /// <summary>Bonferroni: controls the family-wise error rate; stricter.</summary>
    Bonferroni,

    /// <summary>No adjustment.</summary>
    None,
}
