using System.Globalization;

namespace Vigil.Routing.Flags;

/// <summary>
/// The <em>service flag</em>: one flag per service, created on with the service, evaluated first for every request.
/// Where it is off (evaluates false) for a request, the model is not called and the service answers its declared
/// fallback (<see cref="Registry.OutputSpec.Fallback"/>), or 503 with the reason (docs/flags.md, "The service flag").
/// </summary>
public static class ServiceFlag
{
    /// <summary>What the service's name is followed by in its flag's key.</summary>
    public const string Suffix = "-enabled";

    /// <summary>Characters of the service's name kept when the name is too long for <c>&lt;service&gt;-enabled</c>.</summary>
    private const int KeptPrefix = FlagValidator.MaxKeyLength - 8 - 9; // 63 - "-enabled" - "-" and 8 hex digits

    /// <summary>
    /// The key of <paramref name="service"/>'s flag: <c>&lt;service&gt;-enabled</c> (<c>recommender-enabled</c>). A flag key
    /// is at most 63 characters, so a service name longer than 55 characters keeps its first 46 characters (without a
    /// trailing '-') followed by '-', the 8 hex digits of the murmur3 hash of the whole name, and <c>-enabled</c>: still
    /// a valid key, and distinct for names that share their first 46 characters.
    /// </summary>
    public static string KeyFor(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (service.Length + Suffix.Length <= FlagValidator.MaxKeyLength)
        {
            return service + Suffix;
        }

        var hash = Murmur3.Hash32(service.AsSpan()).ToString("x8", CultureInfo.InvariantCulture);
        return string.Concat(service.AsSpan(0, KeptPrefix).TrimEnd('-'), "-", hash, Suffix);
    }

    /// <summary>The flag a new service starts with: on for every request (no rules, no percentage: <c>STATIC</c> true).</summary>
    public static FlagDefinition For(string service) => new(
        KeyFor(service),
        Enabled: true,
        Description: $"service flag of '{service}': where it is off, the model is not called and the service answers its declared fallback (or 503)");
}
