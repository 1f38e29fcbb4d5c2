using Vigil.Pipelines;

namespace Vigil.Core.Tests.Pipelines;

public sealed class GenerationAndValidationMetricsTests
{
    [Fact]
    public void Faithfulness_IsSupportedOverAllStatements()
    {
        Assert.Equal(0.75, GenerationMetrics.Faithfulness(3, 4));
        Assert.Null(GenerationMetrics.Faithfulness(0, 0));
    }

    [Fact]
    public void LexicalGroundedness_CountsStatementsWhoseWordsAreInTheContext()
    {
        var estimate = GenerationMetrics.LexicalGroundedness(
            "The Eiffel Tower is in Paris. It opened in 1889! Bananas grow on Mars.",
            ["The Eiffel Tower, in Paris, opened to the public in 1889."]);
        Assert.Equal(new GroundednessEstimate(2, 3), estimate);
    }

    [Fact]
    public void LexicalGroundedness_IsDeterministicAndNullWithoutStatements()
    {
        Assert.Null(GenerationMetrics.LexicalGroundedness("  ... ", ["anything"]));
        var a = GenerationMetrics.LexicalGroundedness("Refunds take five days.\nShipping is free.", ["refunds take five business days"]);
        var b = GenerationMetrics.LexicalGroundedness("Refunds take five days.\nShipping is free.", ["refunds take five business days"]);
        Assert.Equal(a, b);
        Assert.Equal(0.5, a!.Value);
    }

    [Fact]
    public void ValidationRates_AreSharesOfHumanVerdicts()
    {
        Assert.Equal(0.25, ValidationMetrics.FalseNegativeRate(1, 4));
        Assert.Equal(0.1, ValidationMetrics.FalsePositiveRate(1, 10));
        Assert.Null(ValidationMetrics.FalseNegativeRate(0, 0));
    }
}
