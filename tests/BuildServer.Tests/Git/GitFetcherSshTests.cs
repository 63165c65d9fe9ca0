using Cluster.BuildServer.Git;
using Cluster.BuildServer.Hosting;
using Cluster.BuildServer.Jobs;
using Cluster.Core.Docker;
using Cluster.Protos.Build.V1;
using Cluster.Testing;
using Xunit.Abstractions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cluster.BuildServer.Tests.Git;

// SSH sources against a real OpenSSH sshd started here on loopback (own config, own host key),
// with real deploy keys made by ssh-keygen: the key goes into a per-fetch ssh-agent, the server is
// checked against the pinned host key only, and every refusal says what to do.
public sealed class GitFetcherSshTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("fetch-ssh-test-").FullName;
    private readonly List<string> _lines = [];
    private GitServer _server = null!;
    private string _privateKey = "";

    public async Task InitializeAsync()
    {
        _server = await GitServer.StartAsync("127.0.0.1");
        await _server.StartSshAsync();
        (_privateKey, var publicKey) = await GitServer.NewSshKeyAsync();
        await _server.AuthorizeSshKeyAsync(publicKey);
    }

    public async Task DisposeAsync()
    {
        output.WriteLine(string.Join("\n", _lines));
        output.WriteLine("sshd:\n" + _server.SshLog);
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Fetch_DeployKeyAndPinnedHostKey_ChecksOutTheCommitInBothSpellingsAndKeyStaysOffDisk()
    {
        var commit = await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\n"), ("version", "ssh")));
        var agentsBefore = AgentDirs();
        var snapshots = new List<string>();
        // While the agent holds the key (this line is said just before git runs): everything on disk.
        void Say(string line)
        {
            _lines.Add(line);
            if (line.StartsWith("SSH: key", StringComparison.Ordinal))
            {
                snapshots.Add(ReadEverything(_work));
            }
        }

        var viaUrl = await FetchAsync(_server.SshUrl("app"), "main", "url", Auth(), Say);
        var viaScp = await FetchAsync(_server.ScpUrl("app"), "", "scp", Auth(), Say);

        Assert.Equal(commit, viaUrl.Commit);
        Assert.Equal(commit, viaScp.Commit);
        Assert.Equal("ssh", File.ReadAllText(Path.Combine(viaUrl.Tree, "version")));
        Assert.Equal(2, snapshots.Count);
        Assert.Contains(_lines, l => l.Contains(_server.SshHostKeyFingerprint, StringComparison.Ordinal));
        foreach (var text in snapshots.Append(ReadEverything(_work)).Append(string.Join("\n", _lines)))
        {
            AssertNoKey(text);
        }

        // The agent and its socket directory are gone.
        Assert.Equal(agentsBefore, AgentDirs());
    }

    [Fact]
    public async Task Fetch_KeyNotAuthorized_RefusedNamingUrlKeyAndDeployKeyFix()
    {
        await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\n")));
        var (otherKey, _) = await GitServer.NewSshKeyAsync();

        var e = await Assert.ThrowsAsync<BuildFailure>(() => FetchAsync(_server.SshUrl("app"), "main", "wrong", Auth() with { SshPrivateKey = otherKey }));

        output.WriteLine(e.Message);
        Assert.Equal("fetch", e.Stage);
        Assert.Contains(_server.SshUrl("app"), e.Message, StringComparison.Ordinal);
        Assert.Contains("refused the key of Git credential 'deploy'", e.Message, StringComparison.Ordinal);
        Assert.Contains("deploy key", e.Message, StringComparison.Ordinal);
        Assert.Contains("clusterctl git update deploy --ssh-key-file", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        AssertNoKey(e.Message + string.Join("\n", e.LastLines) + string.Join("\n", _lines), otherKey);
    }

    [Fact]
    public async Task Fetch_HostKeyChanged_RefusedNamingHostAndExpectedFingerprint()
    {
        await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\n")));
        var pinned = Auth();
        var expected = _server.SshHostKeyFingerprint;
        await _server.ChangeSshHostKeyAsync();

        var e = await Assert.ThrowsAsync<BuildFailure>(() => FetchAsync(_server.SshUrl("app"), "main", "changed", pinned));

        output.WriteLine(e.Message);
        Assert.Equal("fetch", e.Stage);
        Assert.Contains($"the SSH host key of [127.0.0.1]:{_server.SshPort} is not the pinned one", e.Message, StringComparison.Ordinal);
        Assert.Contains($"expected {expected}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"now shows {_server.SshHostKeyFingerprint}", e.Message, StringComparison.Ordinal);
        Assert.Contains("clusterctl git update deploy --rescan-host-keys", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        // With the new key pinned, the same fetch works.
        var fixedUp = await FetchAsync(_server.SshUrl("app"), "main", "repinned", Auth());
        Assert.Equal(40, fixedUp.Commit.Length);
    }

    [Fact]
    public async Task Fetch_HostNotPinnedUnreachableOrUnknown_EachSaysWhichAndWhatToDo()
    {
        var closedPort = await ClosedPortAsync();

        var notPinned = await Assert.ThrowsAsync<BuildFailure>(() => FetchAsync($"ssh://{_server.SshUser}@localhost:{_server.SshPort}{_server.Root}/app.git", "main", "other-name", Auth()));
        var unreachable = await Assert.ThrowsAsync<BuildFailure>(() => FetchAsync($"ssh://git@127.0.0.1:{closedPort}/org/app.git", "main", "closed", Auth()));
        var unknown = await Assert.ThrowsAsync<BuildFailure>(() => FetchAsync("git@no-such-host.invalid:org/app.git", "main", "unknown", Auth()));

        output.WriteLine(string.Join("\n", notPinned.Message, unreachable.Message, unknown.Message));
        Assert.Contains($"no host key of [localhost]:{_server.SshPort} is pinned", notPinned.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{closedPort} is unreachable from the build server", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("cannot resolve the host name no-such-host.invalid", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("git@no-such-host.invalid:org/app.git", unknown.Message, StringComparison.Ordinal);
        Assert.All(new[] { notPinned, unreachable, unknown }, e => Assert.DoesNotContain('\n', e.Message));
    }

    // The builder's own job path: BuildRunner turns the job's GitCredential into the agent-backed
    // fetch, packs the commit, and only then needs an engine (none here: the build itself is
    // covered by the lab's build tests). The key is in no file of the work dir at any point it
    // reports, in no output line and in the result; the job dir is gone afterwards.
    [Fact]
    public async Task Run_SshJob_FetchesAndPacksTheCommitWithoutKeyInWorkDirOrOutput()
    {
        var commit = await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\nCOPY version /\n"), ("version", "1")));
        var workDir = Path.Combine(_work, "builder");
        var options = new BuilderOptions { Leader = "127.0.0.1:1", JoinToken = "", WorkDir = workDir, DockerHost = new Uri("unix:///nonexistent/docker.sock") };
        using var engine = new DockerEngine(options.DockerHost);
        var runner = new BuildRunner(engine, new GitFetcher(), options, new BuildActivity(), NullLogger<BuildRunner>.Instance);
        var job = new BuildJob
        {
            JobId = "bssh1",
            DeploymentId = "d1",
            App = "web",
            GitUrl = _server.SshUrl("app"),
            GitRef = "main",
            Image = "127.0.0.1:1/cluster-build/web",
            GitCredential = new GitCredential { Name = "deploy", SshPrivateKey = _privateKey, KnownHosts = _server.SshKnownHosts },
        };
        var said = new List<string>();
        var snapshots = new List<string>();

        var result = await runner.RunAsync(job, line =>
        {
            said.Add(line);
            snapshots.Add(ReadEverything(workDir));
        }, null, CancellationToken.None);

        output.WriteLine(string.Join("\n", said.Append(result.Error)));
        Assert.Equal(commit, result.GitCommit);
        Assert.Contains(said, l => l == $"fetched commit {commit}");
        Assert.Contains(said, l => l.StartsWith("build context: ", StringComparison.Ordinal));
        Assert.Equal("build", result.FailedStage);
        Assert.False(Directory.Exists(Path.Combine(workDir, "jobs", "bssh1")));
        foreach (var text in snapshots.Append(string.Join("\n", said)).Append(result.ToString()))
        {
            AssertNoKey(text);
        }
    }

    private GitAuth Auth() => new("", "") { Name = "deploy", SshPrivateKey = _privateKey, KnownHosts = _server.SshKnownHosts };

    private Task<(string Commit, string Tree)> FetchAsync(string url, string gitRef, string name, GitAuth auth) => FetchAsync(url, gitRef, name, auth, _lines.Add);

    private async Task<(string Commit, string Tree)> FetchAsync(string url, string gitRef, string name, GitAuth auth, Action<string> say)
    {
        var job = Path.Combine(_work, name);
        var tree = Path.Combine(job, "src");
        var commit = await new GitFetcher().FetchAsync(url, gitRef, job, tree, auth, say, CancellationToken.None);
        return (commit, tree);
    }

    // Every base64 line of the private key (and the whole key) is absent from `text`.
    private void AssertNoKey(string text, string? key = null)
    {
        key ??= _privateKey;
        Assert.DoesNotContain(key.Trim(), text, StringComparison.Ordinal);
        foreach (var line in key.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line, text, StringComparison.Ordinal);
        }
    }

    // All regular files under `dir`, concatenated (binary as Latin-1 so any ASCII run shows);
    // Auto-Sync's branch-head read over SSH: the deploy key through the per-check agent, the
    // pinned host key only; a changed host key stops it with the same message as a fetch.
    [Fact]
    public async Task Head_DeployKeyAndPinnedHostKey_ReadsTheBranchHead_ChangedHostKeyRefused()
    {
        var commit = await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\n")));
        var agentsBefore = AgentDirs();

        var head = await new GitFetcher().HeadAsync(_server.ScpUrl("app"), "main", Path.Combine(_work, "head"), Auth(), CancellationToken.None);

        Assert.Equal(commit, head);
        Assert.Equal(agentsBefore, AgentDirs());
        AssertNoKey(ReadEverything(_work));
        var pinned = Auth();
        await _server.ChangeSshHostKeyAsync();
        var e = await Assert.ThrowsAsync<BuildFailure>(() => new GitFetcher().HeadAsync(_server.SshUrl("app"), "main", Path.Combine(_work, "head2"), pinned, CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.StartsWith("cannot read the branch head of " + _server.SshUrl("app"), e.Message, StringComparison.Ordinal);
        Assert.Contains("is not the pinned one", e.Message, StringComparison.Ordinal);
    }

    // size 0 skips sockets and FIFOs, which cannot hold a key and could block a read.
    private static string ReadEverything(string dir) =>
        !Directory.Exists(dir)
            ? ""
            : string.Join("\n", Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                .Where(f => (File.GetAttributes(f) & FileAttributes.ReparsePoint) == 0 && new FileInfo(f).Length is > 0 and < 64 << 20)
                .Select(f => f + "\n" + System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));

    private static HashSet<string> AgentDirs() =>
        [.. Directory.EnumerateDirectories(Path.GetTempPath(), "cluster-ssh-*")];

    private static async Task<int> ClosedPortAsync()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await Task.Yield();
        return port;
    }
}
