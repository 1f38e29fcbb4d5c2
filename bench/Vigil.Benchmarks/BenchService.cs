using System.Text;
using Vigil.Registry;

namespace Vigil.Benchmarks;

/// <summary>
/// The service every benchmark uses: seven features (four numbers, three categories), a binary probability output, and a
/// data generator with a fixed rule plus noise so that a trained model is better than chance.
/// </summary>
internal static class BenchService
{
    public const string Name = "bench";

    public static readonly string[] Plans = ["basic", "pro", "enterprise"];
    public static readonly string[] Countries = ["DE", "FR", "US", "GB", "ES", "IT", "NL", "PL"];
    public static readonly string[] Devices = ["web", "ios", "android"];

    public static ServiceDefinition Definition { get; } = new(
        Name,
        "benchmark service: 4 numeric and 3 categorical features",
        [
            new FeatureSpec("age", FeatureType.Number, Min: 0, Max: 120),
            new FeatureSpec("income", FeatureType.Number),
            new FeatureSpec("tenure_months", FeatureType.Integer, Min: 0),
            new FeatureSpec("visits", FeatureType.Integer, Min: 0),
            new FeatureSpec("plan", FeatureType.Category, Categories: Plans),
            new FeatureSpec("country", FeatureType.Category, Categories: Countries),
            new FeatureSpec("device", FeatureType.Category, Categories: Devices),
        ],
        new OutputSpec(OutputKind.Probability),
        DateTimeOffset.UnixEpoch);

    /// <summary>The typical single predict request body (the one bench/gateway/request.json holds).</summary>
    public const string RequestJson =
        """{"key":"user-4711","attributes":{"segment":"returning"},"inputs":{"age":41.5,"income":58200.0,"tenure_months":27,"visits":6,"plan":"pro","country":"DE","device":"ios"}}""";

    public static byte[] RequestUtf8 { get; } = Encoding.UTF8.GetBytes(RequestJson);

    /// <summary>Rows and labels from a fixed rule: label = logit(age, plan, tenure, visits, device) + noise > 0.</summary>
    public static (List<InputRow> Rows, List<bool> Labels) Generate(int count, int seed)
    {
#pragma warning disable CA5394 // not security-relevant: synthetic data
        var random = new Random(seed);
        var rows = new List<InputRow>(count);
        var labels = new List<bool>(count);
        for (var i = 0; i < count; i++)
        {
            var age = 18 + (random.NextDouble() * 60);
            var income = Math.Round(15_000 + (random.NextDouble() * 120_000), 2);
            var tenure = random.Next(0, 120);
            var visits = random.Next(0, 30);
            var plan = Plans[random.Next(Plans.Length)];
            var country = Countries[random.Next(Countries.Length)];
            var device = Devices[random.Next(Devices.Length)];
            var noise = (random.NextDouble() - 0.5) * 1.5;
            var logit = (0.04 * (age - 45)) + (plan == "pro" ? 1.0 : 0) + (plan == "enterprise" ? 2.0 : 0)
                - (0.02 * (tenure - 60)) + (0.1 * (visits - 15)) + (device == "ios" ? 0.4 : 0) + (country == "US" ? 0.3 : 0)
                + (0.000005 * (income - 75_000)) - 0.8 + noise;
            rows.Add(new InputRow(
            [
                FeatureValue.FromNumber(age),
                FeatureValue.FromNumber(income),
                FeatureValue.FromNumber(tenure),
                FeatureValue.FromNumber(visits),
                FeatureValue.FromText(plan),
                FeatureValue.FromText(country),
                FeatureValue.FromText(device),
            ]));
            labels.Add(logit > 0);
        }
#pragma warning restore CA5394

        return (rows, labels);
    }
}
