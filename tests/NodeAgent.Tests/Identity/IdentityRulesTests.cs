using Cluster.NodeJoin;
using Cluster.NodeAgent.Tests.Support;

namespace Cluster.NodeAgent.Tests.Identity;

public sealed class IdentityRulesTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = Start.AddDays(90);

    private readonly TestPki _pki = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("agent-identity-").FullName;

    [Fact]
    public void Evaluate_NoIdentity_Missing()
    {
        var verdict = IdentityRules.Evaluate(null, _pki.Fingerprint, Start);

        Assert.Equal(IdentityStatus.Missing, verdict.Status);
        Assert.False(verdict.IsUsable);
    }

    [Fact]
    public void Evaluate_EarlyInLifetime_Valid()
    {
        var verdict = IdentityRules.Evaluate(Stored(), _pki.Fingerprint, Start.AddDays(10));

        Assert.Equal(IdentityStatus.Valid, verdict.Status);
        Assert.True(verdict.IsUsable);
    }

    [Fact]
    public void Evaluate_JustBeforeTwoThirdsOfLifetime_StillValid()
    {
        var verdict = IdentityRules.Evaluate(Stored(), _pki.Fingerprint, Start.AddDays(60).AddSeconds(-1));

        Assert.Equal(IdentityStatus.Valid, verdict.Status);
    }

    [Fact]
    public void Evaluate_LessThanAThirdOfLifetimeLeft_RenewalDueButUsable()
    {
        var verdict = IdentityRules.Evaluate(Stored(), _pki.Fingerprint, Start.AddDays(60));

        Assert.Equal(IdentityStatus.RenewalDue, verdict.Status);
        Assert.True(verdict.IsUsable);
    }

    [Fact]
    public void Evaluate_PastNotAfter_ExpiredAndNotUsable()
    {
        var verdict = IdentityRules.Evaluate(Stored(), _pki.Fingerprint, End);

        Assert.Equal(IdentityStatus.Expired, verdict.Status);
        Assert.False(verdict.IsUsable);
    }

    [Fact]
    public void Evaluate_TokenPinsAnotherCa_WrongCaNamingBothFingerprints()
    {
        using var other = new TestPki();

        var verdict = IdentityRules.Evaluate(Stored(), other.Fingerprint, Start.AddDays(1));

        Assert.Equal(IdentityStatus.WrongCa, verdict.Status);
        Assert.Contains(other.Fingerprint[..12], verdict.Reason, StringComparison.Ordinal);
        Assert.Contains(_pki.Fingerprint[..12], verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_CertificateNotIssuedByStoredCa_WrongCa()
    {
        using var other = new TestPki();
        var (der, key) = other.Issue(Start, End);
        using (key)
        {
            var identity = new IdentityStore(_dir).Save("node-1", key, der, _pki.Ca.RawData);

            var verdict = IdentityRules.Evaluate(identity, _pki.Fingerprint, Start.AddDays(1));

            Assert.Equal(IdentityStatus.WrongCa, verdict.Status);
        }
    }

    [Fact]
    public void Evaluate_CaIssuedByAnOfflineRoot_ValidWhenTheCertificateChainsToIt()
    {
        using var pki = new TestPki(issuedByOfflineRoot: true);
        var (der, key) = pki.Issue(Start, End);
        using (key)
        {
            var identity = new IdentityStore(_dir).Save("node-1", key, der, pki.Ca.RawData);

            var verdict = IdentityRules.Evaluate(identity, pki.Fingerprint, Start.AddDays(1));
            Assert.True(verdict.Status == IdentityStatus.Valid, verdict.Reason);
        }
    }

    [Fact]
    public void IsIssuedBy_ForgedCertificateNamingTheCa_Refused()
    {
        using var pki = new TestPki(issuedByOfflineRoot: true);
        using var impostor = new TestPki(issuedByOfflineRoot: true);
        var (der, key) = impostor.Issue(Start, End);
        using (key)
        using (var forged = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der))
        {
            Assert.Equal(pki.Ca.Subject, forged.Issuer);
            Assert.False(IdentityRules.IsIssuedBy(forged, pki.Ca));
        }
    }

    [Fact]
    public void RenewAt_NinetyDayCertificate_IsAtSixtyDays()
    {
        Assert.Equal(Start.AddDays(60), IdentityRules.RenewAt(Start, End));
    }

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private NodeIdentity Stored()
    {
        var (der, key) = _pki.Issue(Start, End);
        using (key)
        {
            return new IdentityStore(_dir).Save("node-1", key, der, _pki.Ca.RawData);
        }
    }
}
