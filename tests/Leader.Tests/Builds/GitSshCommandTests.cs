using System.Text.Json;
using Cluster.Leader.Tests.Support;
using Cluster.Testing;
using Xunit.Abstractions;

namespace Cluster.Leader.Tests.Builds;

// `clusterctl git add|list|update` for SSH, the real clusterctl binary against the real leader
// binary and a real sshd: the leader scans and pins the host key, the CLI prints its fingerprint,
// the key appears in no output and no leader log, and a changed host key is re-pinned by update.
public sealed class GitSshCommandTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-gitssh-cli-").FullName;
    private InProcessLeader _leader = null!;
    private GitServer _server = null!;
    private string _key = "";
    private string _keyFile = "";

    public async Task InitializeAsync()
    {
        _leader = await InProcessLeader.StartAsync();
        _server = await GitServer.StartAsync("127.0.0.1");
        await _server.StartSshAsync();
        (_key, _) = await GitServer.NewSshKeyAsync();
        _keyFile = Path.Combine(_dir, "deploy_key");
        await File.WriteAllTextAsync(_keyFile, _key);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _leader.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AddListUpdate_Ssh_PrintsPinnedFingerprintsAndNeverTheKey()
    {
        var prefix = $"ssh://{_server.SshUser}@127.0.0.1:{_server.SshPort}/";

        var add = await _leader.CtlAsync(null, "git", "add", "deploy", "--url", prefix, "--ssh-key-file", _keyFile);
        var list = await _leader.CtlAsync(null, "git", "list", "-o", "json");
        var oldFingerprint = _server.SshHostKeyFingerprint;
        await _server.ChangeSshHostKeyAsync();
        var update = await _leader.CtlAsync(null, "git", "update", "deploy", "--rescan-host-keys");
        var duplicate = await _leader.CtlAsync(null, "git", "add", "deploy", "--url", prefix, "--ssh-key-file", _keyFile);

        output.WriteLine(string.Join("\n---\n", add.Output, list.Output, update.Output, duplicate.Output));
        Assert.True(add.ExitCode == 0, add.Output + "\nleader:\n" + _leader.Output);
        Assert.Contains($"git credential deploy added for {prefix} (SSH key ssh-ed25519 SHA256:", add.Output, StringComparison.Ordinal);
        Assert.Contains($"read from [127.0.0.1]:{_server.SshPort} with ssh-keyscan", add.Output, StringComparison.Ordinal);
        Assert.Contains($"ssh-ed25519 {oldFingerprint}", add.Output, StringComparison.Ordinal);
        Assert.True(list.ExitCode == 0, list.Output);
        using var json = JsonDocument.Parse(list.Output);
        var entry = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("ssh", entry.GetProperty("kind").GetString());
        Assert.Equal("ssh-keyscan", entry.GetProperty("hostKeysSource").GetString());
        Assert.Equal(oldFingerprint, Assert.Single(entry.GetProperty("hostKeys").EnumerateArray()).GetProperty("fingerprint").GetString());
        Assert.True(update.ExitCode == 0, update.Output);
        Assert.Contains($"ssh-ed25519 {_server.SshHostKeyFingerprint}", update.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, duplicate.ExitCode);
        Assert.Contains("git update deploy", duplicate.Output, StringComparison.Ordinal);
        foreach (var text in new[] { add.Output, list.Output, update.Output, duplicate.Output, _leader.Output })
        {
            foreach (var line in _key.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)))
            {
                Assert.DoesNotContain(line, text, StringComparison.Ordinal);
            }
        }
    }
}
