using static Cluster.Core.Registry.RegistryText;

namespace Cluster.Core.Registry;

// One HTTP exchange with a registry or token server: redirects followed by hand (GET and HEAD
// only) with Authorization sent only to its origin, the whole bounded by RequestTimeout, bodies
// read up to a limit. Every transport failure leaves as a classified RegistryFailureException
// (RegistryFailureMap.ForException); a cancelled caller token leaves as itself.
internal sealed class RegistryTransport : IDisposable
{
    public const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxRedirects = 5;

    private readonly RegistryClientOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _verified;
    private readonly HttpClient _unverified;
    private readonly HttpMessageHandler? _ownedVerified;
    private readonly HttpMessageHandler? _ownedUnverified;

    // Without a handler: two SocketsHttpHandlers, one that verifies certificates and one that does
    // not (used only for Insecure hosts). A handler passed in (tests, or a caller's own TLS
    // policy) serves both and stays owned by the caller.
    public RegistryTransport(RegistryClientOptions options, TimeProvider time, HttpMessageHandler? handler)
    {
        _options = options;
        _time = time;
        if (handler is null)
        {
            _ownedVerified = RegistryTls.CreateHandler(options, verifyCertificates: true);
            _ownedUnverified = RegistryTls.CreateHandler(options, verifyCertificates: false);
            _verified = CreateClient(_ownedVerified, options);
            _unverified = CreateClient(_ownedUnverified, options);
        }
        else
        {
            _verified = CreateClient(handler, options);
            _unverified = CreateClient(handler, options);
        }
    }

    public RegistryClientOptions Options => _options;

    // skipCertificateCheck: only for the origin of an Insecure host; a redirect to another origin
    // (a blob CDN) is always verified and gets no Authorization.
    public async Task<RegistryReply> SendAsync(RegistryOperation op, bool skipCertificateCheck, HttpMethod method, Uri uri, string? authorization, IReadOnlyList<string>? accept, int maxBody, Uri authOrigin, string peer, CancellationToken cancellationToken)
    {
        var client = skipCertificateCheck ? _unverified : _verified;
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

                return new RegistryReply(response.StatusCode, response.ReasonPhrase, headers, body, current, AuthUse.Anonymous);
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
                throw RegistryFailureMap.ForException(e, current, peer, timeout.IsCancellationRequested, _options.RequestTimeout, _options.ConnectTimeout);
            }
        }
    }

    public void Dispose()
    {
        _verified.Dispose();
        _unverified.Dispose();
        _ownedVerified?.Dispose();
        _ownedUnverified?.Dispose();
    }

    private static HttpClient CreateClient(HttpMessageHandler handler, RegistryClientOptions options)
    {
        var client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", options.UserAgent);
        return client;
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
}
