using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Files;
using Cluster.Core.Security;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Security;

// The leader's own certificate authority. Created once in the data dir (ca.key 0600, ca.crt
// world-readable for clients that cannot pin by fingerprint, such as grpcurl -cacert); the
// server certificate is re-issued at every start for the current addresses, so changing
// --advertise needs no manual step. Node client certificates (agents, builders) are issued
// from the same CA, so the two kinds are kept apart by what only the leader's carries: the
// server certificate has server-auth usage AND the URI SAN PinnedCa.LeaderIdentity, which every
// client requires; a node certificate is built here from the CSR's public key alone, with a
// CN the leader chose, client-auth usage only and no SAN, and a CSR asking for anything more
// is refused rather than silently trimmed.
public sealed class LeaderPki
{
    private static readonly UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private LeaderPki(X509Certificate2 ca, X509Certificate2 server)
    {
        Ca = ca;
        Server = server;
        CaFingerprint = ClusterToken.FingerprintOf(ca.RawData);
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Server { get; }

    public string CaFingerprint { get; }

    public static LeaderPki LoadOrCreate(string dataDir, IEnumerable<string> serverNames)
    {
        var caCrt = Path.Combine(dataDir, "ca.crt");
        var caKey = Path.Combine(dataDir, "ca.key");
        X509Certificate2 ca;
        if (File.Exists(caCrt) && File.Exists(caKey))
        {
            ca = X509Certificate2.CreateFromPemFile(caCrt, caKey);
        }
        else
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=cluster-leader CA", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var now = DateTimeOffset.UtcNow;
            ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(20));
            PrivateFile.WriteText(caKey, key.ExportPkcs8PrivateKeyPem(), Private);
            PrivateFile.WriteText(caCrt, ca.ExportCertificatePem(), Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        return new LeaderPki(ca, IssueServer(ca, serverNames));
    }

    // Issues a client certificate for a joined node from its CSR (the key stays on the node).
    public X509Certificate2 IssueClient(CertificateRequest request, string nodeId, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(request);
        RefuseUnlessPlainClientRequest(request);
        var signed = new CertificateRequest(new X500DistinguishedName($"CN={nodeId}"), request.PublicKey, HashAlgorithmName.SHA256);
        signed.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        signed.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        signed.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(PinnedCa.ClientAuthOid)], false));
        var now = DateTimeOffset.UtcNow;
        return signed.Create(Ca, now.AddMinutes(-5), now.Add(lifetime), RandomNumberGenerator.GetBytes(16));
    }

    // A node's CSR carries its public key and a name; it may ask for client-auth usage, digital
    // signature and no CA rights, nothing else. Whatever it asks, the certificate is built here.
    private static void RefuseUnlessPlainClientRequest(CertificateRequest request)
    {
        foreach (var extension in request.CertificateExtensions)
        {
            var allowed = extension switch
            {
                X509EnhancedKeyUsageExtension eku => eku.EnhancedKeyUsages.Cast<Oid>().All(o => o.Value == PinnedCa.ClientAuthOid),
                X509BasicConstraintsExtension constraints => !constraints.CertificateAuthority,
                X509KeyUsageExtension usage => (usage.KeyUsages & ~X509KeyUsageFlags.DigitalSignature) == 0,
                X509SubjectKeyIdentifierExtension => true,
                _ => false,
            };
            if (!allowed)
            {
                throw new OperationException(OperationError.InvalidArgument,
                    $"certificate signing request refused: it asks for {extension.Oid?.FriendlyName ?? extension.Oid?.Value} beyond a client certificate; a node certificate is client-auth only (send a CSR with a key and a name, as cluster-agent does)");
            }
        }
    }

    private static X509Certificate2 IssueServer(X509Certificate2 ca, IEnumerable<string> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=cluster-leader", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names.Append("localhost").Append("127.0.0.1").Append("::1").Append(Environment.MachineName).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                if (!ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any))
                {
                    san.AddIpAddress(ip);
                }
            }
            else if (name.Length > 0)
            {
                san.AddDnsName(name);
            }
        }

        san.AddUri(PinnedCa.LeaderIdentity);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(PinnedCa.CaExtension(ca));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(PinnedCa.ServerAuthOid)], false));
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(ca, now.AddMinutes(-5), now.AddYears(1), RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }
}
