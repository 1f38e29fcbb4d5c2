using Vigil.Server.Api;

namespace Vigil.Cli.Demo;

/// <summary>The result of one POST /v1/feedback: Vigil's answer, or what went wrong.</summary>
/// <param name="Response">Vigil's answer when the call succeeded.</param>
/// <param name="Error">What went wrong, when it did.</param>
public sealed record FeedbackCall(FeedbackResponse? Response, string? Error);
