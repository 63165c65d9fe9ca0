using System.Globalization;

namespace Cluster.Core.Registry;

// What a registry says about its rate limit, from the RateLimit-Limit / RateLimit-Remaining
// headers Docker Hub sends ("100;w=21600": 100 pulls per 21600 s window). Each part is null when
// the registry did not send it or sent something unreadable.
public sealed record RegistryRateLimit(int? Limit, int? Remaining, TimeSpan? Window)
{
    internal static RegistryRateLimit? From(RegistryReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return Parse(reply.Header("RateLimit-Limit"), reply.Header("RateLimit-Remaining"));
    }

    // Null when neither header is there.
    internal static RegistryRateLimit? Parse(string? limitHeader, string? remainingHeader)
    {
        if (limitHeader is null && remainingHeader is null)
        {
            return null;
        }

        var (limit, window) = Read(limitHeader);
        var (remaining, remainingWindow) = Read(remainingHeader);
        return new RegistryRateLimit(limit, remaining, window ?? remainingWindow);
    }

    public override string ToString() =>
        $"{(Remaining is { } r ? r.ToString(CultureInfo.InvariantCulture) : "?")} of {(Limit is { } l ? l.ToString(CultureInfo.InvariantCulture) : "?")} left" +
        (Window is { } w ? $" per {w.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s" : string.Empty);

    // "76;w=21600" -> (76, 21600 s); "76" -> (76, null).
    private static (int? Value, TimeSpan? Window) Read(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return (null, null);
        }

        var parts = header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        int? value = parts.Length > 0 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        TimeSpan? window = null;
        foreach (var part in parts.Skip(1))
        {
            if (part.StartsWith("w=", StringComparison.OrdinalIgnoreCase) &&
                int.TryParse(part[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                window = TimeSpan.FromSeconds(seconds);
            }
        }

        return (value, window);
    }
}
