using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;

namespace Cluster.NodeJoin;

// When a stored identity may be used, must be renewed, or must be replaced by joining again.
// Pure: the clock is a parameter, so the rules are tested without waiting for certificates to
// age.
internal static class IdentityRules
{
    public static DateTimeOffset RenewAt(DateTimeOffset notBefore, DateTimeOffset notAfter) =>
        notAfter - ((notAfter - notBefore) / 3);

    // pinnedCaFingerprint is the join token's pin, or null when the node has no join token (a
    // joined node does not need one): the stored CA, checked at join, is then the pin.
    public static IdentityVerdict Evaluate(NodeIdentity? identity, string? pinnedCaFingerprint, DateTimeOffset now)
    {
        if (identity is null)
        {
            return new(IdentityStatus.Missing, "no node identity in the state dir yet");
        }

        var storedCa = ClusterToken.FingerprintOf(identity.Ca.RawData);
        if (pinnedCaFingerprint is not null && !string.Equals(storedCa, pinnedCaFingerprint, StringComparison.OrdinalIgnoreCase))
        {
            return new(IdentityStatus.WrongCa,
                $"the stored certificate comes from CA {storedCa[..12]}…, but the join token pins CA {pinnedCaFingerprint[..12]}… (the node moved to another cluster, or the leader's data dir was recreated)");
        }

        if (!IsIssuedBy(identity.Certificate, identity.Ca))
        {
            return new(IdentityStatus.WrongCa, "the stored certificate was not issued by the stored CA");
        }

        if (now >= identity.NotAfter)
        {
            return new(IdentityStatus.Expired, $"the node certificate expired at {identity.NotAfter:u}");
        }

        if (now >= identity.RenewAt)
        {
            return new(IdentityStatus.RenewalDue, $"the node certificate expires at {identity.NotAfter:u} (less than a third of its lifetime left)");
        }

        return new(IdentityStatus.Valid, $"node certificate valid until {identity.NotAfter:u}");
    }

    // The signature chains to exactly this CA. Validity dates are judged separately above. The
    // CA need not be self-signed: a leader whose CA is issued by an offline root (so TLS sends
    // it, see the report on PinnedCa) is accepted when the chain ends at exactly this CA and the
    // only complaint is that it is not a root.
    public static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(ca);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.ExtraStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid;
        var built = chain.Build(certificate);
        // The flags above make Build ignore dates, but ChainStatus still lists them.
        const X509ChainStatusFlags Tolerated = X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.UntrustedRoot |
            X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested | X509ChainStatusFlags.CtlNotTimeValid;
        var onlyNotARoot = chain.ChainStatus.All(s => (s.Status & ~Tolerated) == X509ChainStatusFlags.NoError);
        return (built || onlyNotARoot) && chain.ChainElements.Count >= 2 &&
            chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(ca.RawData);
    }
}
