using System.Text;
using System.Text.Json;
using Cluster.Core.Images;

namespace Cluster.Leader.Credentials.Helpers;

// When a helper's token expires and when to ask for the next one.
// Expiry is read from the token where its format says it: a JWT's `exp` (ACR's AAD tokens, GCR
// and most OAuth registries), or ECR's password, which is base64 of a JSON envelope with an
// `expiration` (unix seconds). Otherwise the provider's documented lifetime is assumed: ECR
// 12 h, ACR 3 h, anything else 1 h. The refresh is due at half the remaining life, so a failed
// run has the other half to be retried before the token stops working.
public static class TokenLifetime
{
    public static TimeSpan DefaultLifetime(RegistryProvider provider) => provider switch
    {
        RegistryProvider.Ecr => TimeSpan.FromHours(12),
        RegistryProvider.Acr => TimeSpan.FromHours(3),
        _ => TimeSpan.FromHours(1),
    };

    // The expiry written in the token, or null when it has none we can read. Values that are
    // not plausible (before 2000 or after 2200) are ignored as not an expiry.
    public static DateTimeOffset? ReadExpiry(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var parts = secret.Split('.');
        if (parts.Length == 3 && FromJson(DecodeBase64(parts[1]), "exp") is { } exp)
        {
            return exp;
        }

        return FromJson(DecodeBase64(secret), "expiration") ?? FromJson(DecodeBase64(secret), "exp");
    }

    // (expiresAt, nextRefresh) for a token obtained at `now`. `refreshEvery` (0 = unset) replaces
    // the half-life rule, but never schedules past the half-life of an expiry read from the token.
    public static (DateTimeOffset ExpiresAt, DateTimeOffset NextRefresh) Schedule(string secret, RegistryProvider provider, TimeSpan refreshEvery, DateTimeOffset now)
    {
        var read = ReadExpiry(secret);
        var expiresAt = read ?? now + DefaultLifetime(provider);
        var half = TimeSpan.FromTicks(Math.Max(0, (expiresAt - now).Ticks / 2));
        var wait = refreshEvery > TimeSpan.Zero
            ? (read is not null && half < refreshEvery ? half : refreshEvery)
            : half;
        if (wait < HelperOptions.MinimumRefreshEvery)
        {
            wait = HelperOptions.MinimumRefreshEvery;
        }

        return (expiresAt, now + wait);
    }

    // After `failures` failed runs in a row: 2 s doubling to the cap (and never longer than the
    // configured refresh period), so a transient failure is retried well before expiry.
    public static TimeSpan RetryDelay(int failures, HelperOptions options, TimeSpan refreshEvery)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cap = refreshEvery > TimeSpan.Zero && refreshEvery < options.RetryCap ? refreshEvery : options.RetryCap;
        var delay = options.RetryFirst;
        for (var i = 1; i < failures && delay < cap; i++)
        {
            delay *= 2;
        }

        return delay < cap ? delay : cap;
    }

    private static byte[]? DecodeBase64(string text)
    {
        var s = text.Trim().Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
        try
        {
            return Convert.FromBase64String(s);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static DateTimeOffset? FromJson(byte[]? json, string field)
    {
        if (json is null || json.Length == 0 || json[0] != (byte)'{')
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind == JsonValueKind.Object &&
                doc.RootElement.TryGetProperty(field, out var value) &&
                value.ValueKind == JsonValueKind.Number &&
                value.TryGetDouble(out var seconds) &&
                seconds is > 946684800 and < 7258118400)
            {
                return DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
            }
        }
        catch (JsonException)
        {
        }
        catch (DecoderFallbackException)
        {
        }

        return null;
    }
}
