using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Cluster.Core.Security;

// Client-side TLS validation against ONE pinned CA: the leader's, identified by the fingerprint
// in a cluster token. The server's chain must contain a certificate with that fingerprint, and
// the leaf must chain to it. The host name is not checked: the pin already names the one CA
// that issues leader certificates, and nodes reach the leader by whatever address works
// (Swarm's own mTLS does the same).
public static class PinnedCa
{
    public static Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool> Validator(string caFingerprint, Action<string>? onRejected = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(caFingerprint);
        return (leaf, presented, _) =>
        {
            var ca = FindCa(presented, caFingerprint) ??
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
