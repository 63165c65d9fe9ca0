using Cluster.Core.Git;

namespace Cluster.Core.Tests.Git;

// known_hosts lines match a host as ssh matches them, fingerprints are ssh-keygen's.
public sealed class KnownHostsTests
{
    private static readonly string Key = SshKeygen.NewKey().PublicKey;

    private static string Blob => Key.Split(' ')[1];

    [Theory]
    [InlineData("git.example.com", "git.example.com", true)]
    [InlineData("GIT.example.com", "git.example.com", true)]
    [InlineData("git.example.com,10.0.0.5", "10.0.0.5", true)]
    [InlineData("*.example.com", "git.example.com", true)]
    [InlineData("*.example.com,!evil.example.com", "evil.example.com", false)]
    [InlineData("git?.example.com", "git1.example.com", true)]
    [InlineData("[git.example.com]:2222", "[git.example.com]:2222", true)]
    [InlineData("git.example.com", "[git.example.com]:2222", false)]
    [InlineData("[git.example.com]:2222", "git.example.com", false)]
    [InlineData("other.example.com", "git.example.com", false)]
    public void Matches_Patterns_AsSsh(string hosts, string name, bool expected)
    {
        var entry = Assert.Single(KnownHosts.Parse($"{hosts} ssh-ed25519 {Blob}\n", "f"));

        Assert.Equal(expected, entry.Matches(name));
    }

    [Fact]
    public void Matches_HashedNameFromSshKeygen_MatchesOnlyThatName()
    {
        var hashed = SshKeygen.Hashed($"[git.example.com]:2222 ssh-ed25519 {Blob}");

        var entry = Assert.Single(KnownHosts.Parse(hashed, "f"));

        Assert.StartsWith("|1|", entry.Hosts, StringComparison.Ordinal);
        Assert.True(entry.Matches("[git.example.com]:2222"));
        Assert.False(entry.Matches("git.example.com"));
        Assert.Equal("[git.example.com]:2222 ssh-ed25519 " + Blob, entry.LineFor("[git.example.com]:2222"));
    }

    [Fact]
    public void Parse_CommentsMarkersAndFingerprint_AsSshKeygen()
    {
        var entries = KnownHosts.Parse($"# comment\n\n@cert-authority *.example.com ssh-ed25519 {Blob} ca\ngit.example.com ssh-ed25519 {Blob} comment here\n", "f");

        Assert.Equal(["@cert-authority", ""], entries.Select(e => e.Marker));
        Assert.All(entries, e => Assert.Equal(SshKeygen.Fingerprint(Key), e.Fingerprint));
    }

    [Theory]
    [InlineData("git.example.com ssh-ed25519", "line 1 is not a known_hosts line")]
    [InlineData("git.example.com ssh-ed25519 %%%", "not base64")]
    [InlineData("git.example.com ssh-rsa BLOB", "not of type 'ssh-rsa'")]
    [InlineData("@bogus git.example.com ssh-ed25519 BLOB", "unknown marker")]
    public void Parse_BadLine_NamesTheLine(string line, string expected)
    {
        var e = Assert.Throws<FormatException>(() => KnownHosts.Parse(line.Replace("BLOB", Blob, StringComparison.Ordinal), "hosts.txt"));

        Assert.Contains("hosts.txt", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
