using System.Diagnostics.CodeAnalysis;

namespace Vigil.Cli.Demo;

/// <summary>
/// How a simulated user of the release scenarios responds to what the model that served them did, so that the outcome
/// Vigil compares between champion and challenger depends on which model served the request.
/// </summary>
/// <remarks>
/// <para>The recommender uses the served score to place the candidate item: at the top of the user's feed when the score is
/// at least <see cref="Cutoff"/>, further down otherwise. The simulation knows the truth, the example's engagement
/// probability p (<see cref="RecommendationExample.Probability"/>):</para>
/// <list type="bullet">
/// <item><description>when the model is on the right side of the cutoff (score and p both at least 0.5, or both below), the
/// feed is as good as it can be and the user completes their task with probability p;</description></item>
/// <item><description>when it is on the wrong side (a good item buried, or a poor one pushed to the top), the feed is worse for
/// this user and they complete their task with probability p × <see cref="MisplacedFactor"/> (a fifth).</description></item>
/// </list>
/// <para>So a model's task completion is p on average, less what its misplacements cost: a good model (about 10% of items
/// misplaced by the demo's champion) loses a few points, a buggy one many. The baseline scenario does not use this
/// rule: with one model there is nothing to compare, and it reports the user's draw from p directly.</para>
/// </remarks>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded simulation, not security.")]
public static class EngagementRule
{
    /// <summary>The score from which the recommender puts an item at the top of the feed.</summary>
    public const double Cutoff = 0.5;

    /// <summary>What a misplaced item keeps of its engagement probability.</summary>
    public const double MisplacedFactor = 0.2;

    /// <summary>True when the served <paramref name="score"/> puts the item on the same side of the cutoff as the truth <paramref name="trueProbability"/>.</summary>
    public static bool PlacedRight(double score, double trueProbability) => score >= Cutoff == trueProbability >= Cutoff;

    /// <summary>The probability that the user completes their task, given the served score and the true probability.</summary>
    public static double CompletionProbability(double score, double trueProbability) =>
        PlacedRight(score, trueProbability) ? trueProbability : trueProbability * MisplacedFactor;

    /// <summary>Draws whether the user completes their task.</summary>
    public static bool Draw(Random random, double score, double trueProbability)
    {
        ArgumentNullException.ThrowIfNull(random);
        return random.NextDouble() < CompletionProbability(score, trueProbability);
    }
}
