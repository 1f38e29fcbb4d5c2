using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using Vigil.Pipelines;

namespace Vigil.Server.Pipelines;

/// <summary>
/// The LLM judge of faithfulness (docs/pipelines.md, "LLM judge"): asks an OpenAI-compatible endpoint, through
/// Microsoft.Extensions.AI's <see cref="IChatClient"/>, to split an answer into statements and say which the context supports.
/// Each answer is judged <c>samples</c> times (the mean is used, the agreement reported); verdicts are cached by
/// (endpoint, model, answer, context); a session stops calling at its cost cap or at the first failure to reach the judge,
/// and the stage then falls back to the lexical estimate, saying so in the report.
/// </summary>
public sealed class LlmJudge
{
    /// <summary>How many answers' verdicts the cache keeps before it starts over.</summary>
    public const int CacheCapacity = 50_000;

    public const int DefaultSamples = 3;

    public const int DefaultMaxCalls = 500;

    internal const string SystemPrompt =
        "You check whether an ANSWER is supported by a CONTEXT. Split the ANSWER into short factual statements. " +
        "For each statement decide whether the CONTEXT supports it. Reply with JSON only, no prose: " +
        "{\"statements\": [{\"text\": \"...\", \"supported\": true}]}";

    private readonly ConcurrentDictionary<string, double> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);

    /// <summary>Starts a session for one evaluation: its own budget of calls and its own account of what happened.</summary>
    public Session Start(JudgeDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var client = _clients.GetOrAdd($"{definition.Endpoint}|{definition.Model}|{definition.ApiKeyEnv}", _ => Create(definition));
        return new Session(this, definition, client);
    }

    private static IChatClient Create(JudgeDefinition definition)
    {
        var key = definition.ApiKeyEnv is { } name ? Environment.GetEnvironmentVariable(name) : null;
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri(definition.Endpoint),
            NetworkTimeout = TimeSpan.FromSeconds(30),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
        return new OpenAI.Chat.ChatClient(definition.Model, new ApiKeyCredential(string.IsNullOrEmpty(key) ? "not-needed" : key), options).AsIChatClient();
    }

    /// <summary>One evaluation's use of the judge.</summary>
    public sealed class Session(LlmJudge judge, JudgeDefinition definition, IChatClient client)
    {
        private readonly int _samples = definition.Samples ?? DefaultSamples;
        private readonly int _maxCalls = definition.MaxCalls ?? DefaultMaxCalls;
        private long _calls;
        private long _cacheHits;
        private long _judged;
        private long _skippedByCap;
        private double _agreementSum;
        private long _agreementCount;
        private string? _fallback;

        /// <summary>The faithfulness of <paramref name="answer"/> against <paramref name="context"/>, or null when the judge is not asked (cap reached, unreachable, unreadable reply).</summary>
        public async Task<double?> JudgeAsync(string answer, IReadOnlyList<string> context, StageBar perRequest, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(answer);
            ArgumentNullException.ThrowIfNull(context);
            var key = Key(answer, context);
            if (judge._cache.TryGetValue(key, out var cached))
            {
                _cacheHits++;
                _judged++;
                return cached;
            }

            if (_fallback is not null)
            {
                return null;
            }

            if (_calls + _samples > _maxCalls)
            {
                _skippedByCap++;
                return null;
            }

            var values = new List<double>();
            for (var i = 0; i < _samples; i++)
            {
                _calls++;
                string text;
                try
                {
                    var response = await client.GetResponseAsync(
                        [
                            new ChatMessage(ChatRole.System, SystemPrompt),
                            new ChatMessage(ChatRole.User, $"CONTEXT:\n{string.Join("\n---\n", context)}\n\nANSWER:\n{answer}"),
                        ],
                        new ChatOptions { Temperature = _samples > 1 ? 0.7f : 0f },
                        cancellationToken);
                    text = response.Text;
                }
                catch (Exception ex) when (ex is ClientResultException or HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
                {
                    _fallback = $"the LLM judge at {definition.Endpoint} did not answer ({ex.Message.Split('\n')[0]}); the stage fell back to the lexical estimate";
                    return null;
                }

                if (Parse(text) is { } value)
                {
                    values.Add(value);
                }
            }

            if (values.Count == 0)
            {
                _fallback ??= $"the LLM judge's replies could not be read as {{\"statements\": [...]}}; the stage fell back to the lexical estimate";
                return null;
            }

            var mean = values.Average();
            var majority = values.Count(perRequest.IsMet) * 2 >= values.Count;
            _agreementSum += values.Count(v => perRequest.IsMet(v) == majority) / (double)values.Count;
            _agreementCount++;
            _judged++;
            if (judge._cache.Count >= CacheCapacity)
            {
                judge._cache.Clear();
            }

            judge._cache[key] = mean;
            return mean;
        }

        public JudgeReport Report() => new(
            definition.Model,
            _samples,
            _calls,
            _cacheHits,
            _judged,
            _agreementCount == 0 ? null : _agreementSum / _agreementCount,
            _skippedByCap,
            _fallback ?? (_skippedByCap > 0 ? $"the cost cap of {_maxCalls} calls was reached; {_skippedByCap} answer(s) fell back to the lexical estimate" : null));

        private string Key(string answer, IReadOnlyList<string> context)
        {
            var text = $"{definition.Endpoint}\n{definition.Model}\n{answer}\n{string.Join("\n\u0001", context)}";
            return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        }

        /// <summary>Supported / all statements of a reply, or null when it holds no readable statement list.</summary>
        internal static double? Parse(string? text)
        {
            if (text is null)
            {
                return null;
            }

            var start = text.IndexOf('{', StringComparison.Ordinal);
            var end = text.LastIndexOf('}');
            if (start < 0 || end <= start)
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(text[start..(end + 1)]);
                if (!document.RootElement.TryGetProperty("statements", out var statements) || statements.ValueKind != JsonValueKind.Array)
                {
                    return null;
                }

                int all = 0, supported = 0;
                foreach (var s in statements.EnumerateArray())
                {
                    all++;
                    if (s.TryGetProperty("supported", out var v) && v.ValueKind == JsonValueKind.True)
                    {
                        supported++;
                    }
                }

                return all == 0 ? null : supported / (double)all;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
