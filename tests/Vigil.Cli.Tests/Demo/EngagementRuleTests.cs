using Vigil.Cli.Demo;

namespace Vigil.Cli.Tests.Demo;

public sealed class EngagementRuleTests
{
    [Theory]
    [InlineData(0.7, 0.8, 0.8)] // both at the top: as good as it gets
    [InlineData(0.2, 0.1, 0.1)] // both below
    [InlineData(0.5, 0.5, 0.5)] // the cutoff counts as the top
    [InlineData(0.3, 0.8, 0.16)] // a good item buried
    [InlineData(0.9, 0.3, 0.06)] // a poor item pushed to the top
    public void CompletionProbability_IsTheTruth_LessWhatAMisplacementCosts(double score, double truth, double expected) =>
        Assert.Equal(expected, EngagementRule.CompletionProbability(score, truth), 12);

    [Fact]
    public void Draw_FollowsTheCompletionProbability()
    {
        var random = new Random(3);
        var right = Enumerable.Range(0, 20_000).Count(_ => EngagementRule.Draw(random, 0.9, 0.6));
        var misplaced = Enumerable.Range(0, 20_000).Count(_ => EngagementRule.Draw(random, 0.1, 0.6));

        Assert.InRange(right / 20_000.0, 0.58, 0.62);
        Assert.InRange(misplaced / 20_000.0, 0.10, 0.14);
    }
}
