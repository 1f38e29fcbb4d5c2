using Vigil.Cli.ServiceFiles;
using Vigil.Registry;

namespace Vigil.Cli.Tests;

public sealed class ServiceFileReaderTests
{
    [Fact]
    public void ValidYaml_ReadsEveryField()
    {
        const string yaml = """
            name: fraud
            description: Card fraud score
            inputs:
              - { name: amount, type: number, min: 0, max: 100000 }
              - name: country
                type: category
                categories: [DE, FR, US]
              - { name: note, type: string, nullable: true }
              - { name: items, type: integer }
            output:
              kind: class
              classes: [fraud, ok]
            """;

        var result = ServiceFileReader.Read(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var request = result.Request!;
        Assert.Equal("fraud", request.Name);
        Assert.Equal("Card fraud score", request.Description);
        Assert.Equal(4, request.Inputs.Count);
        Assert.Equal(new FeatureSpec("amount", FeatureType.Number, false, 0, 100000), request.Inputs[0]);
        Assert.Equal(FeatureType.Category, request.Inputs[1].Type);
        Assert.Equal(["DE", "FR", "US"], request.Inputs[1].Categories!);
        Assert.True(request.Inputs[2].Nullable);
        Assert.Equal(FeatureType.Integer, request.Inputs[3].Type);
        Assert.Equal(OutputKind.Class, request.Output.Kind);
        Assert.Equal(["fraud", "ok"], request.Output.Classes!);
    }

    [Fact]
    public void ValidJson_IsReadToo()
    {
        const string json = """
            {
              "name": "churn",
              "inputs": [ { "name": "tenure", "type": "integer", "min": 0 }, { "name": "plan", "type": "category" } ],
              "output": { "kind": "probability" }
            }
            """;

        var result = ServiceFileReader.Read(json);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("churn", result.Request!.Name);
        Assert.Null(result.Request.Description);
        Assert.Equal(2, result.Request.Inputs.Count);
        Assert.Equal(OutputKind.Probability, result.Request.Output.Kind);
    }

    [Fact]
    public void InvalidFile_ListsEveryError()
    {
        const string yaml = """
            name: Fraud_Model
            colour: blue
            inputs:
              - { name: amount, type: numbr }
              - { name: amount, type: number, min: 10, max: 1 }
              - { name: country, type: string, categories: [DE] }
              - { type: boolean, nullable: maybe }
              - { name: price, type: number, min: "5" }
            output:
              kind: guess
            """;

        var result = ServiceFileReader.Read(yaml);

        Assert.False(result.IsValid);
        var errors = string.Join("\n", result.Errors);
        Assert.Contains("unknown key 'colour'", errors, StringComparison.Ordinal);
        Assert.Contains("line 2", errors, StringComparison.Ordinal);
        Assert.Contains("inputs[0].type: 'numbr' is not one of", errors, StringComparison.Ordinal);
        Assert.Contains("declared twice", errors, StringComparison.Ordinal);
        Assert.Contains("min 10 is greater than max 1", errors, StringComparison.Ordinal);
        Assert.Contains("categories apply only to category features", errors, StringComparison.Ordinal);
        Assert.Contains("inputs[3].name: required", errors, StringComparison.Ordinal);
        Assert.Contains("inputs[3].nullable: expected true or false", errors, StringComparison.Ordinal);
        Assert.Contains("inputs[4].min: expected a number, got the string \"5\"", errors, StringComparison.Ordinal);
        Assert.Contains("output.kind: 'guess' is not one of", errors, StringComparison.Ordinal);
        Assert.Contains("name 'Fraud_Model' is not valid", errors, StringComparison.Ordinal);
        Assert.Equal(10, result.Errors.Count);
    }

    [Fact]
    public void MissingRequiredParts_AreEachReported()
    {
        var result = ServiceFileReader.Read("description: nothing else\n");

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Contains("name: required", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("inputs: declare at least one feature", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("output: declare the output kind", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("name: [unclosed", "not valid YAML or JSON")]
    [InlineData("", "the file is empty")]
    [InlineData("- just\n- a list\n", "expected a mapping")]
    [InlineData("name: a\n---\nname: b\n", "one service per file")]
    public void Malformed_GivesOneClearError(string text, string expected)
    {
        var result = ServiceFileReader.Read(text);

        Assert.False(result.IsValid);
        Assert.Contains(expected, Assert.Single(result.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile_SaysSo()
    {
        var result = ServiceFileReader.ReadFile(Path.Combine(Path.GetTempPath(), $"vigil-missing-{Guid.NewGuid():N}.yaml"));

        Assert.Contains("cannot read", Assert.Single(result.Errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("price:number", "price", FeatureType.Number, false)]
    [InlineData("note:string?", "note", FeatureType.String, true)]
    [InlineData("country:category:DE,FR,US", "country", FeatureType.Category, false)]
    [InlineData("age:integer?:0..130", "age", FeatureType.Integer, true)]
    public void InputArgument_Parses(string text, string name, FeatureType type, bool nullable)
    {
        Assert.True(FeatureArgument.TryParse(text, out var feature, out var error), error);
        Assert.Equal(name, feature!.Name);
        Assert.Equal(type, feature.Type);
        Assert.Equal(nullable, feature.Nullable);
    }

    [Fact]
    public void InputArgument_CategoriesAndRange_AreKept()
    {
        Assert.True(FeatureArgument.TryParse("country:category:DE, FR,US", out var country, out _));
        Assert.Equal(["DE", "FR", "US"], country!.Categories!);
        Assert.True(FeatureArgument.TryParse("age:integer:0..", out var age, out _));
        Assert.Equal(0, age!.Min);
        Assert.Null(age.Max);
    }

    [Theory]
    [InlineData("price")]
    [InlineData(":number")]
    [InlineData("price:money")]
    [InlineData("note:string:abc")]
    [InlineData("age:integer:young")]
    public void InputArgument_Malformed_ExplainsTheForm(string text)
    {
        Assert.False(FeatureArgument.TryParse(text, out _, out var error));
        Assert.StartsWith($"--input '{text}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void OutputArgument_ClassWithLabels_Parses()
    {
        Assert.True(FeatureArgument.TryParseOutput("class:cat,dog", out var output, out _));
        Assert.Equal(OutputKind.Class, output!.Kind);
        Assert.Equal(["cat", "dog"], output.Classes!);
        Assert.False(FeatureArgument.TryParseOutput("score:x", out _, out _));
    }
}
