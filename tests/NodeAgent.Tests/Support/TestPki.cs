using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;

namespace Cluster.NodeAgent.Tests.Support;

// A CA made in the test, issuing node certificates with chosen validity: the same shapes the
// leader issues (P-256, client-auth), so identity rules are tested on real certificates.
internal sealed class TestPki : IDisposable
{
    // issuedByOfflineRoot: the CA is signed by a root whose key is thrown away (not self-signed),
    // the shape that lets a TLS server send the CA in its chain.
    public TestPki(bool issuedByOfflineRoot = false)
    {
        CaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test CA", CaKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var from = DateTimeOffset.UtcNow.AddYears(-5);
        var until = DateTimeOffset.UtcNow.AddYears(20);
        if (!issuedByOfflineRoot)
        {
            Ca = request.CreateSelfSigned(from, until);
            return;
        }

        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=test offline root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = rootRequest.CreateSelfSigned(from, until);
        using var issued = request.Create(root, from, until, RandomNumberGenerator.GetBytes(16));
        Ca = issued.CopyWithPrivateKey(CaKey);
    }

    public ECDsa CaKey { get; }

    public X509Certificate2 Ca { get; }

    public string Fingerprint => ClusterToken.FingerprintOf(Ca.RawData);

    public string JoinToken => $"CLSTR1-JOIN-{Fingerprint}-{new string('5', 64)}";

    public (byte[] Der, ECDsa Key) Issue(DateTimeOffset notBefore, DateTimeOffset notAfter, string nodeId = "node-1")
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={nodeId}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var issued = request.Create(Ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        return (issued.RawData, key);
    }

    public void Dispose()
    {
        Ca.Dispose();
        CaKey.Dispose();
    }
}
