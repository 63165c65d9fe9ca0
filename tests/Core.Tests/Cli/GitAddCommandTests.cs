using Cluster.Core.Tests.Git;

namespace Cluster.Core.Tests.Cli;

// `clusterctl git add --ssh-key-file` checks the file before anything is sent (no leader is
// needed to be refused): a passphrase, a public key, a missing file each say what to pass.
public sealed class GitAddCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cli-git-add-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Add_PassphraseProtectedKey_RefusedBeforeContactingTheLeader()
    {
        var (privateKey, _) = SshKeygen.NewKey(passphrase: "secret words");
        var file = Write("id_ed25519", privateKey);

        var (exit, stdout, stderr) = await CliRunner.RunAsync("--leader", "127.0.0.1:1", "git", "add", "deploy", "--url", "git@github.com:acme/", "--ssh-key-file", file);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Contains($"{file} is protected by a passphrase", stderr, StringComparison.Ordinal);
        Assert.Contains("ssh-keygen -t ed25519 -N ''", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Add_PublicKeyFile_RefusedSayingWhichFileToPass()
    {
        var (_, publicKey) = SshKeygen.NewKey();
        var file = Write("deploy.pub", publicKey + "\n");

        var (exit, _, stderr) = await CliRunner.RunAsync("--leader", "127.0.0.1:1", "git", "add", "deploy", "--url", "git@github.com:acme/", "--ssh-key-file", file);

        Assert.Equal(1, exit);
        Assert.Contains($"{file} is a public key; pass the private key file", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--ssh-key-file", "no such file")]
    [InlineData("--token-stdin", "not both")]
    public async Task Add_MissingFileOrBothSecrets_Refused(string extra, string expected)
    {
        string[] args = extra == "--token-stdin"
            ? ["git", "add", "x", "--url", "git@h:o/", "--ssh-key-file", Path.Combine(_dir, "nope"), "--token-stdin"]
            : ["git", "add", "x", "--url", "git@h:o/", "--ssh-key-file", Path.Combine(_dir, "nope")];

        var (exit, _, stderr) = await CliRunner.RunAsync(args);

        Assert.Equal(1, exit);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
