using System.Data.Common;
using Npgsql;

namespace Vigil.Storage;

/// <summary>Turns <c>postgres://</c> URLs and Npgsql connection strings into the connection string a <see cref="PostgresStore"/> takes.</summary>
internal static class PostgresUrl
{
    private const int DefaultPort = 5432;

    /// <summary>Whether <paramref name="spec"/> is a <c>postgres://</c> or <c>postgresql://</c> URL.</summary>
    public static bool IsUrl(string spec) =>
        spec.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || spec.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The Npgsql settings of a URL <c>postgres://user:password@host:port/database?sslmode=require&amp;connect_timeout=5</c>.
    /// Query parameters are libpq's <c>sslmode</c>, <c>connect_timeout</c>, <c>application_name</c>, or any Npgsql keyword.
    /// </summary>
    public static NpgsqlConnectionStringBuilder Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new StoreException("the PostgreSQL URL is not valid: expected postgres://user:password@host:port/database");
        }

        var settings = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.Port > 0 ? uri.Port : DefaultPort,
            Timeout = (int)StoreFactory.ConnectTimeout.TotalSeconds,
        };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            settings.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                settings.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0)
        {
            settings.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            Apply(settings, key, value);
        }

        return settings;
    }

    /// <summary>The settings of an Npgsql connection string (<c>Host=…;Database=…</c>); the connect timeout defaults to <see cref="StoreFactory.ConnectTimeout"/>.</summary>
    public static NpgsqlConnectionStringBuilder ParseConnectionString(string connectionString)
    {
        NpgsqlConnectionStringBuilder settings;
        bool hasTimeout;
        try
        {
            settings = new NpgsqlConnectionStringBuilder(connectionString);
            hasTimeout = new DbConnectionStringBuilder { ConnectionString = connectionString }.ContainsKey("Timeout");
        }
        catch (ArgumentException ex)
        {
            throw new StoreException($"the store is not a valid Npgsql connection string: {ex.Message}", ex);
        }

        if (!hasTimeout)
        {
            settings.Timeout = (int)StoreFactory.ConnectTimeout.TotalSeconds;
        }

        return settings;
    }

    /// <summary>The URL of <paramref name="settings"/>, with no password: what a store's description and messages show.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder settings)
    {
        var user = settings.Username is { } name ? Uri.EscapeDataString(name) + "@" : "";
        var host = settings.Host ?? "localhost";
        host = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        return $"postgres://{user}{host}:{settings.Port}/{Uri.EscapeDataString(settings.Database ?? settings.Username ?? "postgres")}";
    }

    /// <summary>An Npgsql connection string without its password, or null when it does not parse.</summary>
    public static string? RedactConnectionString(string connectionString)
    {
        try
        {
            var settings = new NpgsqlConnectionStringBuilder(connectionString);
            settings.Remove("Password");
            return settings.ConnectionString;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static void Apply(NpgsqlConnectionStringBuilder settings, string key, string value)
    {
        try
        {
            switch (key.ToLowerInvariant())
            {
                case "sslmode":
                    settings.SslMode = Enum.Parse<SslMode>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);
                    break;
                case "connect_timeout":
                    settings.Timeout = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "application_name":
                    settings.ApplicationName = value;
                    break;
                default:
                    settings[key] = value;
                    break;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            throw new StoreException(
                $"the PostgreSQL URL has an invalid parameter '{key}': use sslmode, connect_timeout, application_name or an Npgsql connection string keyword",
                ex);
        }
    }
}
