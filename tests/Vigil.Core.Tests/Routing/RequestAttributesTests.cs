using System.Text.Json;
using Vigil.Routing.Flags;

namespace Vigil.Core.Tests.Routing;

public sealed class RequestAttributesTests
{
    [Fact]
    public void FromJson_ReadsStringsNumbersAndBooleans()
    {
        using var document = JsonDocument.Parse("""{"country": "DE", "age": 42, "score": 1.50, "beta": true, "version": "3.1", "gone": null}""");
        var attributes = RequestAttributes.FromJson(document.RootElement).Unwrap();
        Assert.Equal(5, attributes.Count);
        Assert.True(attributes.TryGet("country", out var country));
        Assert.Equal("DE", country.Text);
        Assert.False(country.IsNumber);
        Assert.True(attributes.TryGet("age", out var age));
        Assert.Equal(42, age.Number);
        Assert.True(attributes.TryGet("score", out var score));
        Assert.Equal("1.50", score.Text);
        Assert.Equal(1.5, score.Number);
        Assert.True(attributes.TryGet("beta", out var beta));
        Assert.Equal("true", beta.Text);
        Assert.False(beta.IsNumber);
        Assert.True(attributes.TryGet("version", out var version));
        Assert.Equal(3.1, version.Number);
        Assert.False(attributes.TryGet("gone", out _));
        Assert.False(attributes.TryGet("Country", out _));
    }

    [Fact]
    public void FromJson_NullOrEmpty_IsEmpty()
    {
        using var document = JsonDocument.Parse("""{"a": null, "b": {}}""");
        Assert.Same(RequestAttributes.Empty, RequestAttributes.FromJson(document.RootElement.GetProperty("a")).Unwrap());
        Assert.Same(RequestAttributes.Empty, RequestAttributes.FromJson(document.RootElement.GetProperty("b")).Unwrap());
    }

    [Fact]
    public void FromJson_ReportsEveryProblem()
    {
        var many = string.Join(", ", Enumerable.Range(0, RequestAttributes.MaxAttributes).Select(i => $"\"a{i}\": {i}"));
        var json = $$"""{"nested": {"x": 1}, "list": [1], "dup": 1, "dup": 2, "long": "{{new string('x', 300)}}", {{many}}}""";
        using var document = JsonDocument.Parse(json);
        var result = RequestAttributes.FromJson(document.RootElement);
        Assert.False(result.IsSuccess);
        var errors = result.Failure!.Errors;
        Assert.Equal(5, errors.Count);
        Assert.Contains(errors, e => e.Contains("'nested' must be a string, number or boolean"));
        Assert.Contains(errors, e => e.Contains("'list' must be a string, number or boolean"));
        Assert.Contains(errors, e => e.Contains("'dup' appears twice"));
        Assert.Contains(errors, e => e.Contains("'long' is longer than 256"));
        Assert.Contains(errors, e => e.Contains($"at most {RequestAttributes.MaxAttributes} attributes"));
    }

    [Fact]
    public void FromJson_NotAnObject_IsInvalid()
    {
        using var document = JsonDocument.Parse("""["DE"]""");
        Assert.False(RequestAttributes.FromJson(document.RootElement).IsSuccess);
    }

    [Theory]
    [InlineData("42", 42.0)]
    [InlineData("-1.5", -1.5)]
    [InlineData("1e3", 1000.0)]
    [InlineData("+7", 7.0)]
    [InlineData(".5", 0.5)]
    public void FromString_NumericText_IsANumber(string text, double number)
    {
        var value = AttributeValue.FromString(text);
        Assert.True(value.IsNumber);
        Assert.Equal(number, value.Number);
        Assert.Equal(text, value.Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 42")]
    [InlineData("1,000")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e400")]
    [InlineData("0x10")]
    [InlineData("true")]
    public void FromString_OtherText_IsNotANumber(string text) => Assert.False(AttributeValue.FromString(text).IsNumber);

    [Fact]
    public void Create_DuplicateName_Throws() =>
        Assert.Throws<ArgumentException>(() => RequestAttributes.Create([KeyValuePair.Create("a", "1"), KeyValuePair.Create("a", "2")]));

    [Fact]
    public void Enumerate_KeepsOrder() =>
        Assert.Equal(["b", "a"], RequestAttributes.Create(("b", AttributeValue.FromBoolean(false)), ("a", AttributeValue.FromNumber(1))).Enumerate().Select(p => p.Key));
}
