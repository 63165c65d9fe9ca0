using System.Text.Json;
using Cluster.Lab.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Lab.Tests.Builds;

// SSH sources on the lab (issue #10, `git add --ssh-key-file`): a real sshd on the lab bridge
// (GitServer.StartSshAsync), the leader pinning its host key with ssh-keyscan, a real
// cluster-builder in node 1's namespace fetching through its per-fetch ssh-agent, building and
// pushing. Then the server's host key changes and the next deployment stops at the fetch, naming
// the host and the pinned fingerprint, until `git update --rescan-host-keys`.
[Collection(LabCollection.Name)]
public sealed class SshBuildTests(LabFixture lab) : IAsyncLifetime
{
    private readonly string _app = "s-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _dir = Directory.CreateTempSubdirectory("lab-ssh-build-").FullName;
    private BuildCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await BuildCluster.StartAsync(lab.Env, "--pre-pull-deadline", "60", "--converge-deadline", "60");
        await _cluster.Git.StartSshAsync();
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _cluster.Leader.CtlAsync("app", "remove", _app);
        }
        finally
        {
            await _cluster.DisposeAsync();
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task SshApp_Deploy_FetchesWithTheDeployKeyAndStopsOnAChangedHostKey()
    {
        await _cluster.UseLabRegistryAsync();
        var commit = await _cluster.CommitAppAsync("web", "main", "ssh");
        var (privateKey, publicKey) = await GitServer.NewSshKeyAsync();
        await _cluster.Git.AuthorizeSshKeyAsync(publicKey);
        var keyFile = Path.Combine(_dir, "deploy_key");
        await File.WriteAllTextAsync(keyFile, privateKey);
        var git = _cluster.Git;

        var add = await _cluster.Leader.CtlAsync("git", "add", "lab-ssh", "--url", $"ssh://{git.SshUser}@{git.Address}:{git.SshPort}/", "--ssh-key-file", keyFile);
        BuildCluster.Check(add);
        Assert.Contains(git.SshHostKeyFingerprint, add.Stdout, StringComparison.Ordinal);
        // The scp-like spelling of the same server is served by that credential.
        BuildCluster.Check(await _cluster.Leader.CtlAsync("app", "create", _app, "--git", git.ScpUrl("web"), "--ref", "main", "--constraint", "node.role==worker"));

        var (result, deployment) = await _cluster.DeployAsync(_app);

        Assert.True(result.Exit == 0, $"{result}\nbuilder:\n{_cluster.Builder.Output}\nsshd:\n{git.SshLog}");
        Assert.Equal("succeeded", deployment.GetProperty("status").GetString());
        var show = await _cluster.Leader.CtlAsync("deployment", "show", deployment.GetProperty("id").GetString()!, "-o", "json");
        using (var shown = JsonDocument.Parse(show.Stdout))
        {
            Assert.Equal(commit, shown.RootElement.GetProperty("build").GetProperty("commit").GetString());
        }

        // The server's host key changes: the next build stops at the fetch and says which key it expected.
        var pinned = git.SshHostKeyFingerprint;
        await git.ChangeSshHostKeyAsync();
        await _cluster.CommitAppAsync("web", "main", "ssh-2");
        var (refused, failed) = await _cluster.DeployAsync(_app);
        Assert.NotEqual(0, refused.Exit);
        var error = failed.GetProperty("error").GetString()!;
        Assert.Contains($"[{git.Address}]:{git.SshPort} is not the pinned one (expected {pinned}", error, StringComparison.Ordinal);
        Assert.Contains("git update lab-ssh --rescan-host-keys", error, StringComparison.Ordinal);

        BuildCluster.Check(await _cluster.Leader.CtlAsync("git", "update", "lab-ssh", "--rescan-host-keys"));
        var (again, _) = await _cluster.DeployAsync(_app);
        Assert.True(again.Exit == 0, $"{again}\nbuilder:\n{_cluster.Builder.Output}");

        // The private key: in no output, no log, no file of the builder's work dir or the agents'.
        foreach (var line in privateKey.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 16 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line, _cluster.Builder.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(line, _cluster.Leader.Log, StringComparison.Ordinal);
            Assert.DoesNotContain(line, _cluster.Agents.AllAgentLogs, StringComparison.Ordinal);
            Assert.DoesNotContain(_cluster.Leader.CliOutputs, o => o.Contains(line, StringComparison.Ordinal));
            var hits = SecretScan.Find([_cluster.WorkDir, _cluster.Agents.Dir], line);
            Assert.True(hits.Count == 0, "the private key was found in: " + string.Join(", ", hits));
        }
    }
}
