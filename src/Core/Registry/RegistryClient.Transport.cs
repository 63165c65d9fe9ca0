using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Cluster.Core.Registry;

// The HTTP side of RegistryClient: endpoint choice (TLS, then plain HTTP where allowed), the
// WWW-Authenticate dance (Basic, Bearer with token requests and the token cache), manual
// redirects that keep Authorization on its origin, bounded reads, and the mapping of every
// transport failure and error status to a RegistryFailureKind with a user-facing message.
public sealed partial class RegistryClient
{
    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxTokenBodyBytes = 1024 * 1024;
    private const int MaxRedirects = 5;
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);

    // Per registry (ApiHost + insecure flag): the base URI that answered (https or http).
    private readonly ConcurrentDictionary<string, Uri> _endpoints = new(StringComparer.OrdinalIgnoreCase);

    // Per registry: its last challenge (Basic, or Bearer with realm and service), so that later
    // requests authenticate without first being turned away anonymously.
    private readonly ConcurrentDictionary<string, AuthChallenge> _challenges = new(StringComparer.OrdinalIgnoreCase);

    private enum AuthKind
    {
        None,
        Basic,
        Bearer,
    }

    private static SocketsHttpHandler CreateHandler(RegistryClientOptions options, bool verifyCertificates) => new()
    {
        AllowAutoRedirect = false, // redirects are followed by hand: Authorization must stay on its origin
        ConnectTimeout = options.ConnectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5), // re-resolve DNS now and then
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        AutomaticDecompression = DecompressionMethods.None, // digests are over the bytes as sent
        UseCookies = false,
        SslOptions = new SslClientAuthenticationOptions
        {
#pragma warning disable CA5359 // deliberate, for Insecure hosts only (see AcceptAnyCertificate)
            RemoteCertificateValidationCallback = verifyCertificates ? VerifyCertificate : AcceptAnyCertificate,
#pragma warning restore CA5359
        },
    };

    private static HttpClient CreateClient(HttpMessageHandler handler, RegistryClientOptions options)
    {
        var client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", options.UserAgent);
        return client;
    }

    // Only for hosts the admin added as insecure, exactly as Docker's --insecure-registry does.
    private static bool AcceptAnyCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) => true;

    // The platform's own validation, but a rejection is thrown with its reason so that it can be
    // told apart from a port that does not speak TLS (see CertificateRejectedException).
    private static bool VerifyCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reasons.Add("the server sent no certificate");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add("the certificate does not name this host");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var status = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToArray() ?? [];
            reasons.Add(status.Contains(nameof(X509ChainStatusFlags.UntrustedRoot)) || status.Contains(nameof(X509ChainStatusFlags.PartialChain))
                ? "the certificate is not signed by a trusted authority (self-signed?)"
                : $"the certificate chain is not valid ({string.Join(", ", status)})");
        }

        var subject = certificate?.Subject is { Length: > 0 } s ? $" (certificate {s})" : string.Empty;
        throw new CertificateRejectedException(string.Join("; ", reasons) + subject);
    }

    private static async Task<RegistryCheck> RunAsync(Operation op, Func<Task<RegistryCheck>> body, CancellationToken cancellationToken)
    {
        try
        {
            return op.Redact(await body());
        }
        catch (RegistryFailureException failure)
        {
            return op.Redact(failure.ToCheck());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            return op.Redact(RegistryCheck.Fail(RegistryFailureKind.Other, $"unexpected failure talking to {op.Host.Host}: {e.GetType().Name}: {e.Message}"));
        }
    }

    private static async Task<RegistryResult<T>> RunAsync<T>(Operation op, Func<Task<RegistryResult<T>>> body, CancellationToken cancellationToken)
    {
        RegistryResult<T>? success = null;
        var check = await RunAsync(op, async () =>
        {
            success = await body();
            return success.Check;
        }, cancellationToken);
        return check.Ok && success is not null ? success with { Check = check } : RegistryResult<T>.Fail(check);
    }

    // One registry request with authentication: anonymous first (unless the host's scheme is
    // known), then the challenge answered once. Returns the final reply whatever its status; a
    // 401 that is still there after credentials or a fresh token were sent is the caller's to
    // classify (Failure). fresh: ignore remembered challenges and cached tokens (login checks).
    private async Task<Reply> SendAuthorizedAsync(Operation op, HttpMethod method, string path, string? scope, IReadOnlyList<string>? accept, int maxBody, bool fresh, CancellationToken cancellationToken)
    {
        var key = EndpointKey(op.Host);
        var auth = AuthUse.Anonymous;
        if (!fresh && _challenges.TryGetValue(key, out var known))
        {
            if (known.IsBasic && op.Login is not null)
            {
                auth = AuthUse.ForBasic(op);
            }
            else if (known.IsBearer && scope is not null)
            {
                auth = await BearerAsync(op, known, scope, useCache: true, cancellationToken);
            }
        }

        for (var attempt = 0; ; attempt++)
        {
            var reply = await SendToRegistryAsync(op, method, path, auth.Header, accept, maxBody, auth, cancellationToken);
            if (reply.Status != HttpStatusCode.Unauthorized || attempt >= 2)
            {
                return reply;
            }

            var challenges = AuthChallenge.Parse(reply.Headers("WWW-Authenticate"));
            var bearer = challenges.FirstOrDefault(c => c.IsBearer && c["realm"] is { Length: > 0 });
            var basic = challenges.FirstOrDefault(c => c.IsBasic);
            if (bearer is not null)
            {
                _challenges[key] = new AuthChallenge(bearer.Scheme, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
                {
                    ["realm"] = bearer["realm"]!,
                    ["service"] = bearer["service"] ?? string.Empty,
                });
                if (auth.Kind == AuthKind.Bearer && auth.FreshToken)
                {
                    return reply; // a token just issued was refused: permissions, not a stale cache
                }

                if (auth.Kind == AuthKind.Bearer && auth.CacheKey is not null)
                {
                    _tokens.Remove(auth.CacheKey); // revoked or expired early: ask again
                }

                auth = await BearerAsync(op, bearer, scope, useCache: false, cancellationToken);
            }
            else if (basic is not null)
            {
                _challenges[key] = basic;
                if (auth.Kind == AuthKind.Basic || op.Login is null)
                {
                    return reply;
                }

                auth = AuthUse.ForBasic(op);
            }
            else
            {
                return reply; // no challenge we can answer
            }
        }
    }

    // A Bearer token for scope: from the cache, or from the realm with Basic credentials
    // (anonymous without a login), as distribution's token protocol describes.
    private async Task<AuthUse> BearerAsync(Operation op, AuthChallenge challenge, string? scope, bool useCache, CancellationToken cancellationToken)
    {
        var realmText = challenge["realm"]!;
        if (!Uri.TryCreate(realmText, UriKind.Absolute, out var realm) || realm.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(realm.UserInfo))
        {
            throw new RegistryFailureException(RegistryFailureKind.Other, $"{op.Host.Host} names an unusable token realm \"{Printable(realmText)}\"");
        }

        var service = challenge["service"] is { Length: > 0 } s ? s : null;
        var cacheKey = scope is null ? null : TokenCache.Key(op.Host.ApiHost, realm, service, scope, op.Login);
        if (useCache && cacheKey is not null && _tokens.TryGet(cacheKey, out var cached))
        {
            op.AddSecret(cached);
            return AuthUse.ForBearer(cached, fresh: false, cacheKey, realm);
        }

        if (realm.Scheme == "http" && op.Login is not null && !op.Host.AllowsPlainHttp && !IsLoopback(realm))
        {
            throw new RegistryFailureException(RegistryFailureKind.Tls,
                $"the token server of {op.Host.Host} ({realm.GetLeftPart(UriPartial.Path)}) is plain HTTP; refusing to send the password of {op.Login.Username} over it; if that is intended, add the registry with --insecure");
        }

        var query = new StringBuilder();
        void Add(string name, string value) =>
            query.Append(query.Length == 0 && string.IsNullOrEmpty(realm.Query) ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        if (service is not null)
        {
            Add("service", service);
        }

        if (scope is not null)
        {
            Add("scope", scope);
        }

        if (op.Login is not null && op.Login.Username.Length > 0)
        {
            Add("account", op.Login.Username);
        }

        var tokenUri = new Uri(realm.AbsoluteUri + query);
        var client = op.Host.Insecure ? _unverified : _verified;
        var reply = await SendRawAsync(op, client, HttpMethod.Get, tokenUri, op.BasicHeader, accept: null, MaxTokenBodyBytes, authOrigin: realm, peer: $"token server of {op.Host.Host}", cancellationToken);
        if (reply.Status != HttpStatusCode.OK)
        {
            throw TokenFailure(op, reply, realm);
        }

        var receivedAt = _time.GetUtcNow();
        string? token;
        var lifetime = DefaultTokenLifetime;
        DateTimeOffset? issuedAt = null;
        try
        {
            using var doc = JsonDocument.Parse(reply.Body);
            var root = doc.RootElement;
            token = root.ValueKind == JsonValueKind.Object ? (String(root, "token") ?? String(root, "access_token")) : null;
            if (token is not null && root.TryGetProperty("expires_in", out var expires) && expires.ValueKind == JsonValueKind.Number &&
                expires.TryGetInt64(out var seconds) && seconds > 0)
            {
                lifetime = TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(365).TotalSeconds));
            }

            if (token is not null && String(root, "issued_at") is { } issued &&
                DateTimeOffset.TryParse(issued, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                issuedAt = at;
            }
        }
        catch (JsonException)
        {
            token = null;
        }

        if (token is null)
        {
            throw new RegistryFailureException(RegistryFailureKind.Other, $"the token server of {op.Host.Host} ({Authority(realm)}) answered without a token");
        }

        op.AddSecret(token);
        if (cacheKey is not null)
        {
            _tokens.Store(cacheKey, token, TokenCache.UsableUntil(receivedAt, issuedAt, lifetime));
        }

        return AuthUse.ForBearer(token, fresh: true, cacheKey, realm);
    }

    private RegistryFailureException TokenFailure(Operation op, Reply reply, Uri realm)
    {
        var detail = TokenErrorDetail(reply.Body);
        var host = op.Host.Host;
        return reply.Status switch
        {
            HttpStatusCode.Unauthorized when op.Login is null => new RegistryFailureException(RegistryFailureKind.Unauthorized,
                $"unauthorized: {host} allows no anonymous access; add credentials for it"),
            HttpStatusCode.Unauthorized => new RegistryFailureException(RegistryFailureKind.Unauthorized,
                $"unauthorized: username or token rejected by {host}{detail}"),
            HttpStatusCode.Forbidden => new RegistryFailureException(RegistryFailureKind.Forbidden,
                $"forbidden: the token server of {host} refused {(op.Login is null ? "anonymous access" : op.Login.Username)}{detail}"),
            HttpStatusCode.TooManyRequests => new RegistryFailureException(RegistryFailureKind.RateLimited,
                $"rate limited by the token server of {host} ({Authority(realm)}){RetryText(RetryAfter(reply))}", RetryAfter(reply)),
            _ => new RegistryFailureException(RegistryFailureKind.Other,
                $"the token server of {host} ({Authority(realm)}) answered {(int)reply.Status} {reply.Reason}{detail}"),
        };
    }

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

    private async Task CancelUploadAsync(Operation op, Reply started, Uri upload, CancellationToken cancellationToken)
    {
        var origin = started.Uri;
        var header = SameOrigin(upload, origin) ? started.Auth.Header : null;
        var client = op.Host.Insecure && SameOrigin(upload, origin) ? _unverified : _verified;
        await SendRawAsync(op, client, HttpMethod.Delete, upload, header, accept: null, MaxErrorBodyBytes, authOrigin: origin, peer: "registry", cancellationToken);
    }

    // Picks the endpoint: TLS first; plain HTTP only where the host allows it and only when the
    // TLS attempt showed that the port does not speak TLS (never after a rejected certificate,
    // never after a refused or silent connection: plain HTTP on the same port would fail the same
    // way). The endpoint that answered is remembered per host, and forgotten when it stops
    // answering.
    private async Task<Reply> SendToRegistryAsync(Operation op, HttpMethod method, string path, string? authorization, IReadOnlyList<string>? accept, int maxBody, AuthUse auth, CancellationToken cancellationToken)
    {
        var key = EndpointKey(op.Host);
        var https = new Uri("https://" + op.Host.ApiHost + "/");
        var http = new Uri("http://" + op.Host.ApiHost + "/");
        var tlsClient = op.Host.Insecure ? _unverified : _verified;
        if (_endpoints.TryGetValue(key, out var known))
        {
            try
            {
                var reply = await SendRawAsync(op, known.Scheme == "https" ? tlsClient : _verified, method, new Uri(known, path), authorization, accept, maxBody, known, "registry", cancellationToken);
                return reply with { Auth = auth };
            }
            catch (RegistryFailureException failure)
            {
                // Forget it; choose again only when the scheme itself may have changed (TLS failed).
                _endpoints.TryRemove(key, out _);
                if (failure.Kind != RegistryFailureKind.Tls || !op.Host.AllowsPlainHttp)
                {
                    throw;
                }
            }
        }

        try
        {
            var reply = await SendRawAsync(op, tlsClient, method, new Uri(https, path), authorization, accept, maxBody, https, "registry", cancellationToken);
            _endpoints[key] = https;
            return reply with { Auth = auth };
        }
        catch (RegistryFailureException failure) when (failure.Kind == RegistryFailureKind.Tls && op.Host.AllowsPlainHttp &&
                                                       failure.InnerException is not CertificateRejectedException)
        {
            var reply = await SendRawAsync(op, _verified, method, new Uri(http, path), authorization, accept, maxBody, http, "registry", cancellationToken);
            _endpoints[key] = http;
            return reply with { Auth = auth };
        }
    }

    // One exchange, redirects followed by hand (GET and HEAD only) with Authorization sent only
    // to authOrigin, the whole bounded by RequestTimeout. Reads at most maxBody bytes of a
    // successful body (more is a failure) and at most 64 KiB of an error body.
    private async Task<Reply> SendRawAsync(Operation op, HttpClient client, HttpMethod method, Uri uri, string? authorization, IReadOnlyList<string>? accept, int maxBody, Uri authOrigin, string peer, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var current = uri;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, current);
            if (authorization is not null && SameOrigin(current, authOrigin))
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            if (accept is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept", string.Join(", ", accept));
            }

            if (method == HttpMethod.Post || method == HttpMethod.Put)
            {
                request.Content = new ByteArrayContent([]);
            }

            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
                var status = (int)response.StatusCode;
                if (status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location &&
                    (method == HttpMethod.Get || method == HttpMethod.Head))
                {
                    if (hop >= MaxRedirects)
                    {
                        throw new RegistryFailureException(RegistryFailureKind.Other, $"{peer} {Authority(uri)} redirected more than {MaxRedirects} times");
                    }

                    var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                    if (next.Scheme is not ("https" or "http"))
                    {
                        throw new RegistryFailureException(RegistryFailureKind.Other, $"{peer} {Authority(current)} redirected to an unsupported URL scheme '{next.Scheme}'");
                    }

                    if (next.Scheme == "http" && current.Scheme == "https" && !op.Host.AllowsPlainHttp && !IsLoopback(next))
                    {
                        throw new RegistryFailureException(RegistryFailureKind.Tls,
                            $"{peer} {Authority(current)} redirected from HTTPS to plain HTTP ({Authority(next)}); refusing; add the registry with --insecure if that is intended");
                    }

                    // Another origin (a blob CDN) gets no Authorization and is verified normally.
                    if (!SameOrigin(next, authOrigin))
                    {
                        client = _verified;
                    }

                    current = next;
                    continue;
                }

                var limit = response.IsSuccessStatusCode ? maxBody : MaxErrorBodyBytes;
                var body = method == HttpMethod.Head ? [] : await ReadBoundedAsync(response, limit, truncate: !response.IsSuccessStatusCode, peer, current, linked.Token);
                var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
                foreach (var (name, values) in response.Headers.NonValidated)
                {
                    headers[name] = [.. values];
                }

                foreach (var (name, values) in response.Content.Headers.NonValidated)
                {
                    headers[name] = [.. values];
                }

                return new Reply(response.StatusCode, response.ReasonPhrase, headers, body, current, AuthUse.Anonymous);
            }
            catch (RegistryFailureException)
            {
                throw;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                throw Classify(e, current, peer, requestTimedOut: timeout.IsCancellationRequested);
            }
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, int limit, bool truncate, string peer, Uri uri, CancellationToken cancellationToken)
    {
        if (!truncate && response.Content.Headers.ContentLength is { } declared && declared > limit)
        {
            throw new RegistryFailureException(RegistryFailureKind.Other, $"{peer} {Authority(uri)} answered {declared} bytes for {uri.AbsolutePath}; more than the {limit} expected");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + read > limit)
            {
                if (truncate)
                {
                    buffer.Write(chunk, 0, (int)(limit - buffer.Length));
                    return buffer.ToArray();
                }

                throw new RegistryFailureException(RegistryFailureKind.Other, $"{peer} {Authority(uri)} answered more than {limit} bytes for {uri.AbsolutePath}");
            }

            buffer.Write(chunk, 0, read);
        }
    }

    // Maps a reply that is not the expected success to a failure. forbidden / notFound are the
    // operation's own wording for those outcomes (null: a generic one).
    private RegistryFailureException Failure(Operation op, Reply reply, string? forbidden, string? notFound)
    {
        var errors = RegistryError.Parse(reply.Body);
        var detail = RegistryError.Describe(errors) is { } d ? " (" + d + ")" : string.Empty;
        var host = op.Host.Host;
        switch (reply.Status)
        {
            case HttpStatusCode.Unauthorized:
            {
                var challenge = AuthChallenge.Parse(reply.Headers("WWW-Authenticate")).FirstOrDefault(c => c.IsBearer);
                var error = challenge?["error"];
                if (op.Login is null)
                {
                    // Hosted registries answer the same for a private repository and a missing one.
                    var orMissing = reply.Auth.Kind == AuthKind.Bearer && forbidden is not null &&
                                    string.Equals(error, "insufficient_scope", StringComparison.OrdinalIgnoreCase)
                        ? ", or the repository does not exist"
                        : string.Empty;
                    return new RegistryFailureException(RegistryFailureKind.Unauthorized, $"unauthorized: {host} requires a login for this{orMissing}; add credentials for it{detail}");
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
                        $"unauthorized: {host} rejected the token issued by its token server ({Authority(reply.Auth.Realm!)}){detail}");
                }

                return new RegistryFailureException(RegistryFailureKind.Unauthorized, $"unauthorized: {host} asks for a login this client cannot answer{detail}");
            }

            case HttpStatusCode.Forbidden:
                return new RegistryFailureException(RegistryFailureKind.Forbidden, forbidden ?? $"forbidden: {host} refused the request{detail}");
            case HttpStatusCode.NotFound:
                return new RegistryFailureException(RegistryFailureKind.NotFound, notFound ?? $"not found on {host}{detail}");
            case HttpStatusCode.TooManyRequests:
            {
                var retry = RetryAfter(reply);
                return new RegistryFailureException(RegistryFailureKind.RateLimited, $"rate limited by {host}{detail}{RetryText(retry)}", retry);
            }
        }

        if (RegistryError.HasCode(errors, "DENIED", "INSUFFICIENT_SCOPE"))
        {
            return new RegistryFailureException(RegistryFailureKind.Forbidden, forbidden ?? $"forbidden: {host} denied the request{detail}");
        }

        if (RegistryError.HasCode(errors, "TOOMANYREQUESTS"))
        {
            var retry = RetryAfter(reply);
            return new RegistryFailureException(RegistryFailureKind.RateLimited, $"rate limited by {host}{detail}{RetryText(retry)}", retry);
        }

        if (RegistryError.HasCode(errors, "NAME_UNKNOWN", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN"))
        {
            return new RegistryFailureException(RegistryFailureKind.NotFound, notFound ?? $"not found on {host}{detail}");
        }

        return new RegistryFailureException(RegistryFailureKind.Other,
            $"{host} answered {(int)reply.Status} {reply.Reason} for {reply.Uri.AbsolutePath}{detail}");
    }

    // Retry-After as seconds or as an HTTP date (RFC 9110 section 10.2.3); null when absent.
    private TimeSpan? RetryAfter(Reply reply)
    {
        var value = reply.Header("Retry-After")?.Trim();
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
            var wait = date - _time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static string RetryText(TimeSpan? retry) => retry is { } r ? $"; retry after {Seconds(r)}" : string.Empty;

    private RegistryFailureException Classify(Exception e, Uri uri, string peer, bool requestTimedOut)
    {
        var at = Authority(uri);
        if (requestTimedOut)
        {
            return new RegistryFailureException(RegistryFailureKind.Unreachable, $"{peer} unreachable: no answer from {at} within {Seconds(_options.RequestTimeout)}", inner: null);
        }

        if (e is OperationCanceledException && Find<TimeoutException>(e) is not null)
        {
            return new RegistryFailureException(RegistryFailureKind.Unreachable, $"{peer} unreachable: no answer from {at} within {Seconds(_options.ConnectTimeout)}");
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
                    return Unreachable(socket, peer, at);
                case HttpRequestError.ResponseEnded:
                    return new RegistryFailureException(RegistryFailureKind.Unreachable, $"{peer} unreachable: {at} closed the connection without answering");
                case HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError:
                    return new RegistryFailureException(RegistryFailureKind.Other, $"{peer} {at} did not answer with valid HTTP ({http.Message.TrimEnd('.')}); is it a registry?");
            }
        }

        if (socket is not null)
        {
            return Unreachable(socket, peer, at);
        }

        if (e is HttpRequestException or IOException)
        {
            return new RegistryFailureException(RegistryFailureKind.Unreachable, $"{peer} unreachable: the connection to {at} failed ({e.Message.TrimEnd('.')})");
        }

        return new RegistryFailureException(RegistryFailureKind.Other, $"talking to {peer} {at} failed: {e.GetType().Name}: {e.Message}");
    }

    private RegistryFailureException Unreachable(SocketException socket, string peer, string at) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => new(RegistryFailureKind.Unreachable, $"{peer} unreachable: connection refused at {at}"),
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown =>
            new(RegistryFailureKind.Unreachable, $"{peer} unreachable: no route to {at}"),
        SocketError.TimedOut => new(RegistryFailureKind.Unreachable, $"{peer} unreachable: no answer from {at} within {Seconds(_options.ConnectTimeout)}"),
        SocketError.ConnectionReset or SocketError.ConnectionAborted => new(RegistryFailureKind.Unreachable, $"{peer} unreachable: {at} reset the connection"),
        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => new(RegistryFailureKind.Unreachable, $"{peer} unreachable: cannot resolve {at} (DNS)"),
        _ => new(RegistryFailureKind.Unreachable, $"{peer} unreachable: cannot connect to {at} ({socket.Message.TrimEnd('.')})"),
    };

    private static string TlsMessage(string at, string reason) =>
        $"TLS failure talking to {at}: {reason}; if it serves plain HTTP or a self-signed certificate, add the registry with --insecure";

    private static T? Find<T>(Exception e)
        where T : Exception
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static string EndpointKey(RegistryHost host) => host.ApiHost + (host.Insecure ? "|insecure" : "|secure");

    // host:port, always with the port, so messages name exactly where the client went.
    private static string Authority(Uri uri) => uri.HostNameType == UriHostNameType.IPv6
        ? $"[{uri.IdnHost.Trim('[', ']')}]:{uri.Port}"
        : $"{uri.IdnHost}:{uri.Port}";

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        a.Port == b.Port;

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || string.Equals(uri.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    // What one public call knows: the host, the login, and every secret to keep out of messages
    // (the password, its Basic encoding, each token obtained or taken from the cache).
    private sealed class Operation
    {
        private readonly List<string> _secrets = [];

        public Operation(RegistryHost host, RegistryLogin? login)
        {
            Host = host;
            Login = login;
            if (login is not null)
            {
                var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(login.Username + ":" + login.Secret));
                BasicHeader = "Basic " + basic;
                AddSecret(login.Secret);
                AddSecret(basic);
            }
        }

        public RegistryHost Host { get; }

        public RegistryLogin? Login { get; }

        public string? BasicHeader { get; }

        public void AddSecret(string secret)
        {
            lock (_secrets)
            {
                if (secret.Length > 0 && !_secrets.Contains(secret, StringComparer.Ordinal))
                {
                    _secrets.Add(secret);
                }
            }
        }

        public RegistryCheck Redact(RegistryCheck check) => check with { Message = Redact(check.Message) };

        private string Redact(string message)
        {
            lock (_secrets)
            {
                // Longest first, so a token that contains the password is removed whole.
                foreach (var secret in _secrets.OrderByDescending(s => s.Length))
                {
                    message = message.Replace(secret, "[redacted]", StringComparison.Ordinal);
                }
            }

            return message;
        }

        public override string ToString() => $"{Host} as {Login?.ToString() ?? "anonymous"}";
    }

    // How a request was authenticated. Header holds a secret: ToString never shows it.
    private sealed class AuthUse
    {
        private AuthUse(AuthKind kind, string? header, bool freshToken, string? cacheKey, Uri? realm)
        {
            Kind = kind;
            Header = header;
            FreshToken = freshToken;
            CacheKey = cacheKey;
            Realm = realm;
        }

        public static AuthUse Anonymous { get; } = new(AuthKind.None, null, false, null, null);

        public AuthKind Kind { get; }

        public string? Header { get; }

        public bool FreshToken { get; }

        public string? CacheKey { get; }

        public Uri? Realm { get; }

        public static AuthUse ForBasic(Operation op) => new(AuthKind.Basic, op.BasicHeader, false, null, null);

        public static AuthUse ForBearer(string token, bool fresh, string? cacheKey, Uri realm) =>
            new(AuthKind.Bearer, "Bearer " + token, fresh, cacheKey, realm);

        public override string ToString() => Kind.ToString();
    }

    private sealed record Reply(HttpStatusCode Status, string? Reason, Dictionary<string, string[]> HeaderValues, byte[] Body, Uri Uri, AuthUse Auth)
    {
        public string? Header(string name) => HeaderValues.TryGetValue(name, out var values) && values.Length > 0 ? values[0] : null;

        public string[] Headers(string name) => HeaderValues.TryGetValue(name, out var values) ? values : [];

        public override string ToString() => $"{(int)Status} {Reason} from {Uri.GetLeftPart(UriPartial.Path)}";
    }
}
