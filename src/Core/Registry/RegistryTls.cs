using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Cluster.Core.Registry;

// The TLS policy of the registry client: certificates are verified by the platform, except for
// hosts the admin added as insecure (exactly as Docker's --insecure-registry), and a rejected
// certificate is reported with its reason (CertificateRejectedException) so that it is never
// mistaken for a port that does not speak TLS.
internal static class RegistryTls
{
    public static SocketsHttpHandler CreateHandler(RegistryClientOptions options, bool verifyCertificates) => new()
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
}
