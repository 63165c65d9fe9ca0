using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Files;
using Cluster.Core.Security;

namespace Cluster.Leader.Security;

// The leader's own certificate authority. Created once in the data dir (ca.key 0600, ca.crt
// world-readable for clients that cannot pin by fingerprint, such as grpcurl -cacert); the
// server certificate is re-issued at every start for the current addresses, so changing
// --advertise needs no manual step. Node client certificates (agents, builders) are issued
// from the same CA.
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
        var signed = new CertificateRequest(new X500DistinguishedName($"CN={nodeId}"), request.PublicKey, HashAlgorithmName.SHA256);
        signed.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        signed.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        signed.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        return signed.Create(Ca, now.AddMinutes(-5), now.Add(lifetime), RandomNumberGenerator.GetBytes(16));
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

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(PinnedCa.CaExtension(ca));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(ca, now.AddMinutes(-5), now.AddYears(1), RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }
}
