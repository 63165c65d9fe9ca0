using System.Formats.Asn1;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cluster.Core.Security;

// Client-side TLS validation of THE LEADER against ONE pinned CA: the leader's, identified by
// the fingerprint in a cluster token. The server's chain must contain a certificate with that
// fingerprint, the leaf must chain to it, and the leaf must carry the leader identity:
// server-auth usage (EKU 1.3.6.1.5.5.7.3.1) AND the URI SAN LeaderIdentity. Node certificates
// come from the same CA but are client-auth only and never carry that URI (LeaderPki issues
// them itself and refuses CSRs that ask for more), so a node's key cannot pose as the leader.
// The host name is not checked: the pin and the identity already name the one server, and
// nodes reach the leader by whatever address works (Swarm's own mTLS does the same).
//
// TLS stacks, .NET's included, do not send a self-signed root in the chain, so the leader
// also carries its CA certificate inside its server certificate, in a private extension
// (CaExtensionOid, an OCTET STRING holding the CA's DER). The pin makes that safe: the
// embedded CA is used only if its fingerprint is the pinned one, and then the leaf must
// verify against it like any chain. No chain built here or by the TLS stack downloads
// anything (OfflineChainPolicy): no AIA fetches to addresses a peer's certificate names.
public static class PinnedCa
{
    // A private OID (2.25 = UUID arc): "the issuing CA's certificate, DER, as an OCTET STRING".
    public const string CaExtensionOid = "2.25.135016971247682168841565198109749795808";

    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    public const string SubjectAltNameOid = "2.5.29.17";

    // The name only the leader's server certificate carries (a URI SAN). One fixed value: the
    // pinned CA already tells clusters apart.
    public static readonly Uri LeaderIdentity = new("spiffe://cluster/leader");

    public static X509Extension CaExtension(X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(ca.RawData);
        return new X509Extension(new Oid(CaExtensionOid), writer.Encode(), critical: false);
    }

    // For SslClientAuthenticationOptions.CertificateChainPolicy and Kestrel's client-certificate
    // chain: the TLS stack builds a chain before any callback runs, and by default it fetches
    // missing issuers from the URLs a certificate names. Never: every trust decision here is
    // made against certificates we already hold.
    public static X509ChainPolicy OfflineChainPolicy() => new()
    {
        DisableCertificateDownloads = true,
        RevocationMode = X509RevocationMode.NoCheck,
    };

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
            chain.ChainPolicy.DisableCertificateDownloads = true;
            if (!chain.Build(leaf))
            {
                var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
                onRejected?.Invoke($"the leader's certificate does not chain to the pinned CA: {status}");
                return false;
            }

            if (!HasLeaderIdentity(leaf))
            {
                onRejected?.Invoke($"the server's certificate ({leaf.Subject}) is issued by the cluster's CA but is not the leader's: it lacks the leader identity ({LeaderIdentity} with server-auth usage), as a node certificate does. Something on this address is posing as the leader; check --leader and the host that answers there");
                return false;
            }

            return true;
        };
    }

    // Server-auth usage and the leader's URI SAN, both required.
    public static bool HasLeaderIdentity(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var serverAuth = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ServerAuthOid));
        var named = certificate.Extensions.Where(e => e.Oid?.Value == SubjectAltNameOid)
            .Any(e => UrisOf(e).Contains(LeaderIdentity.OriginalString, StringComparer.Ordinal));
        return serverAuth && named;
    }

    // The URI entries (GeneralName [6] IA5String) of a SAN extension; a malformed one has none.
    public static IReadOnlyList<string> UrisOf(X509Extension extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        var uris = new List<string>();
        try
        {
            var sequence = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
            while (sequence.HasData)
            {
                if (sequence.PeekTag() == uriTag)
                {
                    uris.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                }
                else
                {
                    sequence.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            return [];
        }

        return uris;
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
