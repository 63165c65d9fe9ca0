using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using static Cluster.Core.Registry.RegistryText;

namespace Cluster.Core.Registry;

// Every way a registry conversation fails, mapped to a RegistryFailureKind and a message that
// says what failed, where, and what to do. Pure functions of their inputs (the reply, what the
// request carried, the clock reading passed in): no I/O, no state, so the whole table is tested
// directly (tests/Core.Tests/Registry/RegistryFailureMapTests.cs).
internal static class RegistryFailureMap
{
    // A request made without credentials was refused: the fix is a credential, not TLS.
    private const string AddCredential = "add one with `clusterctl registry add NAME --url HOST --username U --password-stdin`";

    // A registry reply that is not the expected success. forbidden / notFound: the operation's own
    // wording for those outcomes (null: a generic one). hasLogin: the request was made with
    // credentials (without them, a 401 means "log in", never "wrong password").
    public static RegistryFailureException ForReply(RegistryReply reply, string host, bool hasLogin, string? forbidden, string? notFound, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var failure = MapReply(reply, host, hasLogin, forbidden, notFound, now);
        return RegistryRateLimit.From(reply) is { } limit
            ? new RegistryFailureException(failure.Kind, failure.Message, failure.RetryAfter) { RateLimit = limit }
            : failure;
    }

    private static RegistryFailureException MapReply(RegistryReply reply, string host, bool hasLogin, string? forbidden, string? notFound, DateTimeOffset now)
    {
        var errors = RegistryError.Parse(reply.Body);
        var detail = RegistryError.Describe(errors) is { } d ? " (" + d + ")" : string.Empty;
        switch (reply.Status)
        {
            case HttpStatusCode.Unauthorized:
            {
                var challenge = AuthChallenge.Parse(reply.Headers("WWW-Authenticate")).FirstOrDefault(c => c.IsBearer);
                var error = challenge?["error"];
                if (!hasLogin)
                {
                    // Hosted registries answer the same for a private repository and a missing one.
                    var orMissing = reply.Auth.Kind == AuthKind.Bearer && forbidden is not null &&
                                    string.Equals(error, "insufficient_scope", StringComparison.OrdinalIgnoreCase)
                        ? ", or the repository does not exist"
                        : string.Empty;
                    return new RegistryFailureException(RegistryFailureKind.Unauthorized, $"unauthorized: no credential saved for {host}: it requires a login for this{orMissing}; {AddCredential}{detail}");
                }

                if (reply.Auth.Kind == AuthKind.Basic)
                {
                    return new RegistryFailureException(RegistryFailureKind.Unauthorized, $"unauthorized: username or password rejected by {host}");
                }

                if (reply.Auth.Kind == AuthKind.Bearer)
                {
                    if (forbidden is not null && !string.Equals(error, "invalid_token", StringComparison.OrdinalIgnoreCase))
                    {
                        return new RegistryFailureException(RegistryFailureKind.Forbidden, forbidden);
                    }

                    return new RegistryFailureException(RegistryFailureKind.Unauthorized,
                        $"unauthorized: {host} rejected the token issued by its token server ({(reply.Auth.Realm is { } realm ? Authority(realm) : "unknown")}){detail}");
                }

                return new RegistryFailureException(RegistryFailureKind.Unauthorized, $"unauthorized: {host} asks for a login this client cannot answer{detail}");
            }

            case HttpStatusCode.Forbidden:
                return new RegistryFailureException(RegistryFailureKind.Forbidden, forbidden ?? $"forbidden: {host} refused the request{detail}");
            case HttpStatusCode.NotFound:
                return new RegistryFailureException(RegistryFailureKind.NotFound, notFound ?? $"not found on {host}{detail}");
            case HttpStatusCode.TooManyRequests:
                return RateLimited($"rate limited by {host}{detail}", reply, now);
        }

        if (RegistryError.HasCode(errors, "DENIED", "INSUFFICIENT_SCOPE"))
        {
            return new RegistryFailureException(RegistryFailureKind.Forbidden, forbidden ?? $"forbidden: {host} denied the request{detail}");
        }

        if (RegistryError.HasCode(errors, "TOOMANYREQUESTS"))
        {
            return RateLimited($"rate limited by {host}{detail}", reply, now);
        }

        if (RegistryError.HasCode(errors, "NAME_UNKNOWN", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN"))
        {
            return new RegistryFailureException(RegistryFailureKind.NotFound, notFound ?? $"not found on {host}{detail}");
        }

        return new RegistryFailureException(RegistryFailureKind.Other,
            $"{host} answered {(int)reply.Status} {reply.Reason} for {reply.Uri.AbsolutePath}{detail}");
    }

    // A token server's answer other than 200. username: the account asked for (null: anonymous).
    public static RegistryFailureException ForTokenReply(RegistryReply reply, string host, string? username, Uri realm, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(reply);
        ArgumentNullException.ThrowIfNull(realm);
        var detail = TokenErrorDetail(reply.Body);
        return reply.Status switch
        {
            HttpStatusCode.Unauthorized when username is null => new RegistryFailureException(RegistryFailureKind.Unauthorized,
                $"unauthorized: no credential saved for {host}: it allows no anonymous access; {AddCredential}"),
            HttpStatusCode.Unauthorized => new RegistryFailureException(RegistryFailureKind.Unauthorized,
                $"unauthorized: username or token rejected by {host}{detail}"),
            HttpStatusCode.Forbidden => new RegistryFailureException(RegistryFailureKind.Forbidden,
                $"forbidden: the token server of {host} refused {username ?? "anonymous access"}{detail}"),
            HttpStatusCode.TooManyRequests => RateLimited($"rate limited by the token server of {host} ({Authority(realm)})", reply, now),
            _ => new RegistryFailureException(RegistryFailureKind.Other,
                $"the token server of {host} ({Authority(realm)}) answered {(int)reply.Status} {reply.Reason}{detail}"),
        };
    }

    // A transport failure (no HTTP answer). requestTimedOut: the client's own RequestTimeout fired.
    public static RegistryFailureException ForException(Exception e, Uri uri, string peer, bool requestTimedOut, TimeSpan requestTimeout, TimeSpan connectTimeout)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(uri);
        var at = Authority(uri);
        if (requestTimedOut)
        {
            return new RegistryFailureException(RegistryFailureKind.Unreachable, $"{peer} unreachable: no answer from {at} within {Seconds(requestTimeout)}", inner: null);
        }

        if (e is OperationCanceledException && Find<TimeoutException>(e) is not null)
        {
            return new RegistryFailureException(RegistryFailureKind.Unreachable, $"{peer} unreachable: no answer from {at} within {Seconds(connectTimeout)}");
        }

        if (Find<CertificateRejectedException>(e) is { } rejected)
        {
            return new RegistryFailureException(RegistryFailureKind.Tls, TlsMessage(at, rejected.Message), inner: rejected);
        }

        var socket = Find<SocketException>(e);
        if (e is HttpRequestException http)
        {
            switch (http.HttpRequestError)
            {
                case HttpRequestError.NameResolutionError:
                    return new RegistryFailureException(RegistryFailureKind.Unreachable, $"{peer} unreachable: cannot resolve {uri.IdnHost} (DNS)");
                case HttpRequestError.SecureConnectionError:
                    var inner = http.InnerException?.Message is { Length: > 0 } m ? m : http.Message;
                    return new RegistryFailureException(RegistryFailureKind.Tls, TlsMessage(at, $"TLS handshake failed ({inner.TrimEnd('.')})"));
                case HttpRequestError.ConnectionError when socket is not null:
                    return Unreachable(socket, peer, at, connectTimeout);
                case HttpRequestError.ResponseEnded:
                    return new RegistryFailureException(RegistryFailureKind.Unreachable, $"{peer} unreachable: {at} closed the connection without answering");
                case HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError:
                    return new RegistryFailureException(RegistryFailureKind.Other, $"{peer} {at} did not answer with valid HTTP ({http.Message.TrimEnd('.')}); is it a registry?");
            }
        }

        if (socket is not null)
        {
            return Unreachable(socket, peer, at, connectTimeout);
        }

        if (e is HttpRequestException or IOException)
        {
            return new RegistryFailureException(RegistryFailureKind.Unreachable, $"{peer} unreachable: the connection to {at} failed ({e.Message.TrimEnd('.')})");
        }

        return new RegistryFailureException(RegistryFailureKind.Other, $"talking to {peer} {at} failed: {e.GetType().Name}: {e.Message}");
    }

    // Retry-After as seconds or as an HTTP date (RFC 9110 section 10.2.3), at most a day; a date
    // in the past is zero; null when absent or unreadable.
    public static TimeSpan? RetryAfter(string? value, DateTimeOffset now)
    {
        value = value?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(1).TotalSeconds));
        }

        if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var wait = date - now;
            return wait > TimeSpan.Zero ? (wait < TimeSpan.FromDays(1) ? wait : TimeSpan.FromDays(1)) : TimeSpan.Zero;
        }

        return null;
    }

    private static RegistryFailureException RateLimited(string message, RegistryReply reply, DateTimeOffset now)
    {
        var retry = RetryAfter(reply.Header("Retry-After"), now);
        return new RegistryFailureException(RegistryFailureKind.RateLimited, message + (retry is { } r ? $"; retry after {Seconds(r)}" : string.Empty), retry);
    }

    private static RegistryFailureException Unreachable(SocketException socket, string peer, string at, TimeSpan connectTimeout) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => new(RegistryFailureKind.Unreachable, $"{peer} unreachable: connection refused at {at}"),
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown =>
            new(RegistryFailureKind.Unreachable, $"{peer} unreachable: no route to {at}"),
        SocketError.TimedOut => new(RegistryFailureKind.Unreachable, $"{peer} unreachable: no answer from {at} within {Seconds(connectTimeout)}"),
        SocketError.ConnectionReset or SocketError.ConnectionAborted => new(RegistryFailureKind.Unreachable, $"{peer} unreachable: {at} reset the connection"),
        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => new(RegistryFailureKind.Unreachable, $"{peer} unreachable: cannot resolve {at} (DNS)"),
        _ => new(RegistryFailureKind.Unreachable, $"{peer} unreachable: cannot connect to {at} ({socket.Message.TrimEnd('.')})"),
    };

    private static string TlsMessage(string at, string reason) =>
        $"TLS failure talking to {at}: {reason}; if it serves plain HTTP or a self-signed certificate, add the registry with --insecure (credentials are optional: `clusterctl registry add NAME --url HOST --insecure` declares it)";

    // Token servers answer errors in several shapes: {"details": ".."} (docker_auth),
    // {"errors": [..]} (distribution-style), {"error": "..", "error_description": ".."} (OAuth2).
    private static string TokenErrorDetail(byte[] body)
    {
        if (RegistryError.Describe(RegistryError.Parse(body)) is { } described)
        {
            return " (" + described + ")";
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object &&
                (String(doc.RootElement, "details") ?? String(doc.RootElement, "error_description") ?? String(doc.RootElement, "error")) is { } text)
            {
                return " (" + Printable(text) + ")";
            }
        }
        catch (JsonException)
        {
            // not JSON: nothing to add
        }

        return string.Empty;
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;
}
