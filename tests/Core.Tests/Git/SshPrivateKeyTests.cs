using Cluster.Core.Git;

namespace Cluster.Core.Tests.Git;

// --ssh-key-file takes one OpenSSH private key without passphrase; everything else is refused
// with what to pass instead, and no message quotes the key. Keys made by the real ssh-keygen.
public sealed class SshPrivateKeyTests
{
    [Theory]
    [InlineData("ed25519")]
    [InlineData("ecdsa")]
    [InlineData("rsa")]
    public void Inspect_UnencryptedOpenSshKey_GivesThePublicHalfAsSshKeygenDoes(string type)
    {
        var (privateKey, publicKey) = SshKeygen.NewKey(type);

        var key = SshPrivateKey.Inspect(privateKey, "key");

        Assert.Equal(string.Join(' ', publicKey.Split(' ')[..2]), key.Line);
        Assert.Equal(SshKeygen.Fingerprint(publicKey), key.Fingerprint);
    }

    [Fact]
    public void Inspect_PassphraseProtected_RefusedSayingToUseAKeyWithout()
    {
        var (privateKey, _) = SshKeygen.NewKey(passphrase: "correct horse");

        var e = Assert.Throws<FormatException>(() => SshPrivateKey.Inspect(privateKey, "~/.ssh/id_ed25519"));

        Assert.Contains("~/.ssh/id_ed25519 is protected by a passphrase", e.Message, StringComparison.Ordinal);
        Assert.Contains("ssh-keygen -p -N ''", e.Message, StringComparison.Ordinal);
        AssertNoKeyIn(e.Message, privateKey);
    }

    [Fact]
    public void Inspect_PublicKey_RefusedSayingToPassThePrivateFile()
    {
        var (_, publicKey) = SshKeygen.NewKey();

        var e = Assert.Throws<FormatException>(() => SshPrivateKey.Inspect(publicKey + "\n", "deploy_key.pub"));

        Assert.Contains("deploy_key.pub is a public key; pass the private key file", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "PEM private key")]
    [InlineData("secret", "passphrase")]
    public void Inspect_PemKey_RefusedWithTheConversion(string passphrase, string expected)
    {
        var (privateKey, _) = SshKeygen.NewKey("rsa", passphrase, "PEM");

        var e = Assert.Throws<FormatException>(() => SshPrivateKey.Inspect(privateKey, "k"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        AssertNoKeyIn(e.Message, privateKey);
    }

    [Theory]
    [InlineData("not a key at all", "is not an SSH private key")]
    [InlineData("PuTTY-User-Key-File-3: ssh-ed25519\n", "PuTTY")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\n@@@@\n-----END OPENSSH PRIVATE KEY-----\n", "cannot be decoded")]
    [InlineData("   \n", "is empty")]
    public void Inspect_NotAKey_SaysWhat(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => SshPrivateKey.Inspect(text, "k"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_CrLfAndBlankSpace_AsSshAddReadsIt()
    {
        Assert.Equal("-----A\nb\n-----C\n", SshPrivateKey.Normalize("\r\n  -----A\r\nb\r\n-----C\r\n\r\n"));
    }

    private static void AssertNoKeyIn(string message, string privateKey)
    {
        foreach (var line in privateKey.Split('\n').Where(l => l.Length > 8 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line.Trim(), message, StringComparison.Ordinal);
        }
    }
}
