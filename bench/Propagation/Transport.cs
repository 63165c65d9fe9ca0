using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Grpc.Net.Client;

namespace Cluster.Bench.Propagation;

// One GrpcChannel = one SocketsHttpHandler = one HTTP/2 connection, TLS pinned to one CA (the
// leader's, or the bare server's self-signed certificate) with Cluster.Core's PinnedCa, and a
// client certificate when given.
//
// `knownCa`: only for a leader that PinnedCa alone refuses (LeaderSide checks first and says so).
// .NET on Linux does not send a self-signed root in the TLS chain, so a leader that relied on
// ServerCertificateChain = [CA] (before its CA was embedded in its certificate) presented only
// its leaf and PinnedCa had nothing to pin to. Adding DATA_DIR/ca.crt to the chain's extra store
// lets PinnedCa do its usual check (the CA's SHA-256 must equal the token's fingerprint, and the
// leaf must chain to it).
internal static class Transport
{
    public static GrpcChannel Channel(string address, string caFingerprint, X509Certificate2? clientCertificate = null, X509Certificate2? knownCa = null, Action<string>? onRejected = null)
    {
        var validate = PinnedCa.Validator(caFingerprint, onRejected ?? (reason => Console.Error.WriteLine($"TLS: {reason}")));
        var ssl = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (certificate is not X509Certificate2 leaf)
                {
                    return false;
                }

                if (knownCa is null)
                {
                    return validate(leaf, chain, errors);
                }

                using var withCa = new X509Chain();
                withCa.ChainPolicy.DisableCertificateDownloads = true;
                withCa.ChainPolicy.ExtraStore.Add(knownCa);
                return validate(leaf, withCa, errors);
            },
            CertificateChainPolicy = PinnedCa.OfflineChainPolicy(),
        };
        if (clientCertificate is not null)
        {
            ssl.ClientCertificates = [clientCertificate];
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = false,
            SslOptions = ssl,
        };
        return GrpcChannel.ForAddress($"https://{address}", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxRetryAttempts = 0,
        });
    }
}
