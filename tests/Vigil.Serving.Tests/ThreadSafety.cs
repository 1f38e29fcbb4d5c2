using System.Text.Json.Nodes;

namespace Vigil.Serving.Tests;

internal static class ThreadSafety
{
    /// <summary>8 parallel tasks × 200 single-row predictions give exactly what one sequential pass gives.</summary>
    public static async Task AssertParallelEqualsSequentialAsync(IModelBackend backend)
    {
        var (rows, _) = SyntheticData.Generate(200, 1234);
        var expected = new string[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            expected[i] = (await backend.PredictAsync([rows[i]], CancellationToken.None))[0].ToJsonString();
        }

        var tasks = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var answers = new string[rows.Count];
            for (var k = 0; k < rows.Count; k++)
            {
                var i = (k + (t * 25)) % rows.Count; // each task walks the rows from another start
                answers[i] = (await backend.PredictAsync([rows[i]], CancellationToken.None))[0].ToJsonString();
            }

            return answers;
        }));

        foreach (var answers in await Task.WhenAll(tasks))
        {
            Assert.Equal(expected, answers);
        }
    }

    public static string ToJson(this IEnumerable<JsonObject> objects) => new JsonArray([.. objects.Select(o => o.DeepClone())]).ToJsonString();
}
