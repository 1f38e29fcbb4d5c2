using Vigil.Registry;

namespace Vigil.Serving.Tests;

/// <summary>
/// A small churn-like service and rows generated from a fixed rule with a little noise, so that a trained model is clearly
/// better than chance: label = 0.08·(age − 40) + 1.5·[plan = pro] + 2.5·[plan = enterprise] + 1.2·active
/// + 0.3·(visits − 5) − 1.6 + noise > 0. One age in twenty is null.
/// </summary>
internal static class SyntheticData
{
    public static ServiceDefinition Service { get; } = new(
        "churn",
        "synthetic churn model",
        [
            new FeatureSpec("age", FeatureType.Number, Nullable: true),
            new FeatureSpec("income", FeatureType.Number),
            new FeatureSpec("plan", FeatureType.Category, Categories: ["basic", "pro", "enterprise"]),
            new FeatureSpec("active", FeatureType.Boolean),
            new FeatureSpec("visits", FeatureType.Integer),
        ],
        new OutputSpec(OutputKind.Probability),
        DateTimeOffset.UnixEpoch);

    private static readonly string[] Plans = ["basic", "pro", "enterprise"];

    public static (List<InputRow> Rows, List<bool> Labels) Generate(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<InputRow>(count);
        var labels = new List<bool>(count);
        for (var i = 0; i < count; i++)
        {
            var age = 18 + (random.NextDouble() * 50);
            var income = Math.Round(20_000 + (random.NextDouble() * 100_000), 2);
            var plan = Plans[random.Next(Plans.Length)];
            var active = random.NextDouble() < 0.5;
            var visits = random.Next(0, 11);
            var noise = Gaussian(random) * 0.5;
            var logit = (0.08 * (age - 40)) + (plan == "pro" ? 1.5 : 0) + (plan == "enterprise" ? 2.5 : 0)
                + (active ? 1.2 : 0) + (0.3 * (visits - 5)) - 1.6 + noise;
            rows.Add(Row(random.Next(20) == 0 ? null : age, income, plan, active, visits));
            labels.Add(logit > 0);
        }

        return (rows, labels);
    }

    public static InputRow Row(double? age, double income, string? plan, bool active, int visits) => new(
    [
        age is { } a ? FeatureValue.FromNumber(a) : FeatureValue.Null,
        FeatureValue.FromNumber(income),
        plan is null ? FeatureValue.Null : FeatureValue.FromText(plan),
        FeatureValue.FromBoolean(active),
        FeatureValue.FromNumber(visits),
    ]);

    public static ModelVersion Version(BackendSpec backend, int number = 1, string service = "churn") =>
        new(service, number, backend, new Dictionary<string, string>(), new Dictionary<string, double>(), DateTimeOffset.UnixEpoch, "test");

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
