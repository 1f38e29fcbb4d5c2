using System.Text.Json;
using Vigil.Pipelines;

namespace Vigil.Cli.Pipelines;

/// <summary>
/// Reads judged queries from JSON Lines, one query per line:
/// <c>{"query_id": "q1", "results": [{"id": "d3", "score": 0.91, "relevance": 2}, …], "relevant_total": 4}</c>.
/// Every problem of the file is collected with its line number, not only the first.
/// </summary>
internal static class JudgedQueryReader
{
    /// <summary>At most this many problems are listed; the rest are counted.</summary>
    private const int MaxListedErrors = 20;

    public static (List<JudgedQuery> Queries, List<string> Errors) Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var queries = new List<JudgedQuery>();
        var errors = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var lineErrors = new List<string>();
            var query = Parse(line, lineErrors);
            if (query is not null && !seen.Add(query.QueryId))
            {
                lineErrors.Add($"query_id '{query.QueryId}' was already given on an earlier line");
            }

            errors.AddRange(lineErrors.Select(e => $"line {lineNumber}: {e}"));
            if (lineErrors.Count == 0 && query is not null)
            {
                queries.Add(query);
            }
        }

        if (errors.Count > MaxListedErrors)
        {
            var more = errors.Count - MaxListedErrors;
            errors = [.. errors.Take(MaxListedErrors), $"… and {more} more"];
        }

        return (queries, errors);
    }

    private static JudgedQuery? Parse(string line, List<string> errors)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            errors.Add($"not valid JSON (byte {ex.BytePositionInLine + 1}); write one JSON object per line");
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add("expected a JSON object such as {\"query_id\": \"q1\", \"results\": [{\"id\": \"d3\", \"relevance\": 2}]}");
                return null;
            }

            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("query_id" or "results" or "relevant_total"))
                {
                    errors.Add($"unknown field '{property.Name}' (expected query_id, results, relevant_total)");
                }
            }

            string? queryId = null;
            if (!root.TryGetProperty("query_id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(id.GetString()))
            {
                errors.Add("query_id: required, a non-empty string");
            }
            else
            {
                queryId = id.GetString()!;
            }

            int? relevantTotal = null;
            if (root.TryGetProperty("relevant_total", out var total) && total.ValueKind != JsonValueKind.Null)
            {
                if (total.ValueKind == JsonValueKind.Number && total.TryGetInt32(out var t) && t >= 0)
                {
                    relevantTotal = t;
                }
                else
                {
                    errors.Add($"relevant_total: must be a whole number ≥ 0 (got {total.GetRawText()})");
                }
            }

            var results = new List<JudgedResult>();
            if (!root.TryGetProperty("results", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                errors.Add("results: required, an array of {\"id\", \"score\" (optional), \"relevance\"} in served order");
            }
            else if (list.GetArrayLength() == 0)
            {
                errors.Add("results: empty; a query needs at least one result to be ranked");
            }
            else
            {
                var index = 0;
                foreach (var item in list.EnumerateArray())
                {
                    if (ParseResult(item, $"results[{index}]", errors) is { } result)
                    {
                        results.Add(result);
                    }

                    index++;
                }

                var scored = results.Count(r => r.Score is not null);
                if (scored > 0 && scored < results.Count)
                {
                    errors.Add("results: some results have a score and some do not; give every result a score, or none (then served order is the ranking)");
                }

                var twice = results.GroupBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
                if (twice is not null)
                {
                    errors.Add($"results: id '{twice.Key}' appears more than once");
                }
            }

            return queryId is null ? null : new JudgedQuery(queryId, results, relevantTotal);
        }
    }

    private static JudgedResult? ParseResult(JsonElement item, string where, List<string> errors)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{where}: expected an object such as {{\"id\": \"d3\", \"score\": 0.91, \"relevance\": 2}}");
            return null;
        }

        var ok = true;
        foreach (var property in item.EnumerateObject())
        {
            if (property.Name is not ("id" or "score" or "relevance"))
            {
                errors.Add($"{where}: unknown field '{property.Name}' (expected id, score, relevance)");
                ok = false;
            }
        }

        string? id = null;
        if (item.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String && idElement.GetString() is { Length: > 0 } s)
        {
            id = s;
        }
        else if (item.TryGetProperty("id", out idElement) && idElement.ValueKind == JsonValueKind.Number)
        {
            id = idElement.GetRawText();
        }
        else
        {
            errors.Add($"{where}.id: required, a non-empty string");
            ok = false;
        }

        double? score = null;
        if (item.TryGetProperty("score", out var scoreElement) && scoreElement.ValueKind != JsonValueKind.Null)
        {
            if (scoreElement.ValueKind == JsonValueKind.Number && double.IsFinite(scoreElement.GetDouble()))
            {
                score = scoreElement.GetDouble();
            }
            else
            {
                errors.Add($"{where}.score: must be a number (got {scoreElement.GetRawText()})");
                ok = false;
            }
        }

        double relevance = 0;
        if (!item.TryGetProperty("relevance", out var relevanceElement))
        {
            errors.Add($"{where}.relevance: required, a number ≥ 0 (0 = not relevant)");
            ok = false;
        }
        else if (relevanceElement.ValueKind != JsonValueKind.Number || !double.IsFinite(relevanceElement.GetDouble()))
        {
            errors.Add($"{where}.relevance: must be a number ≥ 0 (got {relevanceElement.GetRawText()})");
            ok = false;
        }
        else if ((relevance = relevanceElement.GetDouble()) < 0)
        {
            errors.Add($"{where}.relevance: must be ≥ 0 (got {relevanceElement.GetRawText()}); 0 means not relevant");
            ok = false;
        }

        return ok ? new JudgedResult(id!, score, relevance) : null;
    }
}
