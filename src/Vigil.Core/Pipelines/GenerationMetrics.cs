using System.Globalization;
using System.Text;

namespace Vigil.Pipelines;

/// <summary>
/// Generation metrics (docs/pipelines.md, "Generation"): faithfulness from claim-level judgments, and the built-in
/// lexical groundedness <em>estimate</em> used when no judgment and no LLM judge exists.
/// </summary>
public static class GenerationMetrics
{
    /// <summary>The share of a statement's content words that must appear in the context for the estimate to count it as supported.</summary>
    public const double LexicalSupportBar = 0.6;

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are",
        "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "there", "their", "they", "he",
        "she", "his", "her", "we", "you", "i", "not", "no", "do", "does", "did", "has", "have", "had", "can", "will", "would",
        "so", "if", "than", "then", "which", "who", "what", "when", "where", "also", "into", "about",
    };

    /// <summary>Supported statements / all statements; null when there are none.</summary>
    public static double? Faithfulness(int supported, int statements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(supported);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(supported, statements);
        return statements == 0 ? null : supported / (double)statements;
    }

    /// <summary>
    /// The lexical groundedness estimate of <paramref name="answer"/> against <paramref name="context"/>: the answer is split
    /// into statements (sentences ending in '.', '!', '?' or a line break); a statement is supported when at least
    /// <see cref="LexicalSupportBar"/> of its content words (lower-cased letters and digits, stop words removed) occur in
    /// the context; the estimate is supported / statements (statements with no content word are left out). Null when the
    /// answer has no statement. Deterministic, and only an estimate: it sees shared words, not meaning.
    /// </summary>
    public static GroundednessEstimate? LexicalGroundedness(string answer, IEnumerable<string> context)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(context);
        var contextWords = new HashSet<string>(StringComparer.Ordinal);
        foreach (var passage in context)
        {
            contextWords.UnionWith(ContentWords(passage));
        }

        var statements = 0;
        var supported = 0;
        foreach (var statement in SplitStatements(answer))
        {
            var words = ContentWords(statement).ToList();
            if (words.Count == 0)
            {
                continue;
            }

            statements++;
            var found = words.Count(contextWords.Contains);
            if (found >= LexicalSupportBar * words.Count)
            {
                supported++;
            }
        }

        return statements == 0 ? null : new GroundednessEstimate(supported, statements);
    }

    /// <summary>The statements of a text: sentences ending in '.', '!' or '?' followed by a space or the end, or lines.</summary>
    public static IReadOnlyList<string> SplitStatements(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var statements = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\n' or '\r')
            {
                Flush();
                continue;
            }

            current.Append(c);
            if (c is '.' or '!' or '?' && (i + 1 == text.Length || char.IsWhiteSpace(text[i + 1])))
            {
                Flush();
            }
        }

        Flush();
        return statements;

        void Flush()
        {
            var s = current.ToString().Trim();
            if (s.Length > 0)
            {
                statements.Add(s);
            }

            current.Clear();
        }
    }

    /// <summary>Lower-cased runs of letters and digits that are not stop words.</summary>
    public static IEnumerable<string> ContentWords(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var word = new StringBuilder();
        foreach (var c in text + " ")
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLower(c, CultureInfo.InvariantCulture));
            }
            else if (word.Length > 0)
            {
                var w = word.ToString();
                word.Clear();
                if (!StopWords.Contains(w))
                {
                    yield return w;
                }
            }
        }
    }
}

/// <summary>The lexical estimate of one answer: <paramref name="Supported"/> of <paramref name="Statements"/> statements found in the context.</summary>
public sealed record GroundednessEstimate(int Supported, int Statements)
{
    public double Value => Supported / (double)Statements;
}
