using System.Collections.Concurrent;

namespace Cluster.Core.Registry;

// Picks a registry's endpoint: TLS first; plain HTTP only where the host allows it (Insecure or
// loopback) and only when the TLS attempt showed that the port does not speak TLS (never after a
// rejected certificate, never after a refused or silent connection: plain HTTP on the same port
// would fail the same way). The endpoint that answered is remembered per host, and forgotten
// when it stops answering.
internal sealed class RegistryEndpoints(RegistryTransport transport)
{
    // Per registry (ApiHost + insecure flag): the base URI that answered (https or http).
    private readonly ConcurrentDictionary<string, Uri> _endpoints = new(StringComparer.OrdinalIgnoreCase);

    public static string Key(RegistryHost host) => host.ApiHost + (host.Insecure ? "|insecure" : "|secure");

    public async Task<RegistryReply> SendAsync(RegistryOperation op, HttpMethod method, string path, IReadOnlyList<string>? accept, int maxBody, AuthUse auth, CancellationToken cancellationToken)
    {
        var key = Key(op.Host);
        var https = new Uri("https://" + op.Host.ApiHost + "/");
        var http = new Uri("http://" + op.Host.ApiHost + "/");
        if (_endpoints.TryGetValue(key, out var known))
        {
            try
            {
                var reply = await transport.SendAsync(op, op.Host.Insecure && known.Scheme == "https", method, new Uri(known, path), auth.Header, accept, maxBody, known, "registry", cancellationToken);
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
            var reply = await transport.SendAsync(op, op.Host.Insecure, method, new Uri(https, path), auth.Header, accept, maxBody, https, "registry", cancellationToken);
            _endpoints[key] = https;
            return reply with { Auth = auth };
        }
        catch (RegistryFailureException failure) when (failure.Kind == RegistryFailureKind.Tls && op.Host.AllowsPlainHttp &&
                                                       failure.InnerException is not CertificateRejectedException)
        {
            var reply = await transport.SendAsync(op, skipCertificateCheck: false, method, new Uri(http, path), auth.Header, accept, maxBody, http, "registry", cancellationToken);
            _endpoints[key] = http;
            return reply with { Auth = auth };
        }
    }
}
