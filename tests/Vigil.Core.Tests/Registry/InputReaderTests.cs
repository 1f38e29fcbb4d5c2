using System.Text.Json;
using Vigil.Registry;

namespace Vigil.Core.Tests.Registry;

public sealed class InputReaderTests
{
    private static readonly ServiceDefinition Service = new(
        "shop",
        "",
        [
            new FeatureSpec("price", FeatureType.Number, Min: 0, Max: 100),
            new FeatureSpec("count", FeatureType.Integer),
            new FeatureSpec("member", FeatureType.Boolean, Nullable: true),
            new FeatureSpec("country", FeatureType.Category, Categories: ["DE", "FR"]),
            new FeatureSpec("note", FeatureType.String, Nullable: true),
        ],
        new OutputSpec(OutputKind.Probability),
        DateTimeOffset.UnixEpoch);

    private static (InputRow Row, List<SchemaViolation> Violations) Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        var violations = new List<SchemaViolation>();
        var row = InputReader.Read(Service, document.RootElement, violations);
        return (row, violations);
    }

    [Fact]
    public void Read_ValidInputs_ReturnsValuesInSchemaOrder()
    {
        var (row, violations) = Read("""{"country": "FR", "count": 3, "price": 12.5, "member": true}""");
        Assert.Empty(violations);
        Assert.Equal(12.5, row[0].Number);
        Assert.Equal(3, row[1].Number);
        Assert.Equal(1, row[2].Number);
        Assert.Equal("FR", row[3].Text);
        Assert.True(row[4].IsNull);
    }

    [Fact]
    public void Read_EveryKindOfViolation_IsReported()
    {
        var (_, violations) = Read("""{"price": 500, "count": 1.5, "member": "yes", "country": "XX", "extra": 1}""");
        Assert.Equal(
            [ViolationKind.OutOfRange, ViolationKind.WrongType, ViolationKind.WrongType, ViolationKind.UnseenCategory, ViolationKind.Unknown],
            violations.Select(v => v.Kind));
    }

    [Fact]
    public void Read_MissingRequiredAndNullNonNullable_PreventServing()
    {
        var (_, violations) = Read("""{"price": null}""");
        Assert.Contains(violations, v => v is { Feature: "price", Kind: ViolationKind.Null, PreventsServing: true });
        Assert.Contains(violations, v => v is { Feature: "count", Kind: ViolationKind.Missing, PreventsServing: true });
        Assert.Contains(violations, v => v is { Feature: "country", Kind: ViolationKind.Missing });
        Assert.DoesNotContain(violations, v => v.Feature is "member" or "note");
    }

    [Fact]
    public void Read_NumberBeyondDouble_IsNotFinite()
    {
        var (_, violations) = Read("""{"price": 1e400, "count": 1, "country": "DE"}""");
        Assert.Equal(ViolationKind.NotFinite, Assert.Single(violations).Kind);
    }

    [Fact]
    public void Read_DuplicateProperty_IsReportedOnce()
    {
        var (row, violations) = Read("""{"price": 1, "price": 2, "count": 1, "country": "DE"}""");
        Assert.Single(violations);
        Assert.Equal(1, row[0].Number);
    }

    [Fact]
    public void Read_OutOfRangeAndUnseen_DoNotPreventServing()
    {
        var (_, violations) = Read("""{"price": -1, "count": 1, "country": "XX", "other": 3}""");
        Assert.All(violations, v => Assert.False(v.PreventsServing));
    }
}
