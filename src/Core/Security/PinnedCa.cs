using System.Formats.Asn1;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cluster.Core.Security;

// Client-side TLS validation against ONE pinned CA: the leader's, identified by the fingerprint
// in a cluster token. The server's chain must contain a certificate with that fingerprint, and
// the leaf must chain to it. The host name is not checked: the pin already names the one CA
// that issues leader certificates, and nodes reach the leader by whatever address works
// (Swarm's own mTLS does the same).
//
// TLS stacks, .NET's included, do not send a self-signed root in the chain, so the leader
// also carries its CA certificate inside its server certificate, in a private extension
// (CaExtensionOid, an OCTET STRING holding the CA's DER). The pin makes that safe: the
// embedded CA is used only if its fingerprint is the pinned one, and then the leaf must
// verify against it like any chain.
public static class PinnedCa
{
    // A private OID (2.25 = UUID arc): "the issuing CA's certificate, DER, as an OCTET STRING".
    public const string CaExtensionOid = "2.25.135016971247682168841565198109749795808";

    public static X509Extension CaExtension(X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(ca.RawData);
        return new X509Extension(new Oid(CaExtensionOid), writer.Encode(), critical: false);
    }

    public static Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool> Validator(string caFingerprint, Action<string>? onRejected = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(caFingerprint);
        return (leaf, presented, _) =>
        {
            using var embedded = EmbeddedCa(leaf);
            var ca = FindCa(presented, caFingerprint) ??
                (embedded is not null && ClusterToken.FingerprintOf(embedded.RawData) == caFingerprint ? embedded : null) ??
                (ClusterToken.FingerprintOf(leaf.RawData) == caFingerprint ? leaf : null);
            if (ca is null)
            {
                onRejected?.Invoke($"the leader's certificate is not issued by the CA pinned in the token (fingerprint {caFingerprint[..12]}…); the token belongs to another cluster, or something is intercepting the connection");
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (!chain.Build(leaf))
            {
                var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
                onRejected?.Invoke($"the leader's certificate does not chain to the pinned CA: {status}");
                return false;
            }

            return true;
        };
    }

    private static X509Certificate2? EmbeddedCa(X509Certificate2 leaf)
    {
        if (leaf.Extensions[CaExtensionOid] is not { } extension)
        {
            return null;
        }

        try
        {
            var der = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadOctetString();
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return null;
        }
    }

    private static X509Certificate2? FindCa(X509Chain? presented, string fingerprint)
    {
        if (presented is null)
        {
            return null;
        }

        foreach (var candidate in presented.ChainPolicy.ExtraStore)
        {
            if (ClusterToken.FingerprintOf(candidate.RawData) == fingerprint)
            {
                return candidate;
            }
        }

        foreach (var element in presented.ChainElements)
        {
            if (ClusterToken.FingerprintOf(element.Certificate.RawData) == fingerprint)
            {
                return element.Certificate;
            }
        }

        return null;
    }
}
