using System.Text.Json;
using Cluster.Core.Docker;
using Cluster.Lab.Tests.Fixture;
using Cluster.Lab.Tests.Leader;
using Cluster.Testing;

namespace Cluster.Lab.Tests.Agents;

// Issue #4 end to end: real agents on every lab node (in the nodes' network namespaces), a real
// leader, the real htpasswd registry. Credentials reach every node at once, each node proves
// access through its own engine, and sessions recover from kills, restarts and network cuts.
[Collection(LabCollection.Name)]
public sealed class AgentSessionTests(LabFixture lab) : IAsyncLifetime
{
    private readonly string _user = "a" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _password = "agent-pw-" + Guid.NewGuid().ToString("N");
    private AgentCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        await Htpasswd.SetAsync(lab.Env, _user, _password);
        _cluster = await AgentCluster.StartAsync(lab.Env);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Join_EveryNode_ReadyWithItsSwarmRoleAndId()
    {
        var nodes = await _cluster.NodesAsync();

        Assert.Equal(lab.Env.Nodes, nodes.Count);
        for (var i = 1; i <= lab.Env.Nodes; i++)
        {
            using var engine = new DockerEngine(lab.Env.NodeSocket(i));
            var info = await engine.GetInfoAsync(CancellationToken.None);
            var node = Assert.Single(nodes, n => n.GetProperty("hostname").GetString() == lab.Env.NodeHostname(i));
            Assert.Equal("ready", node.GetProperty("status").GetString());
            Assert.Equal(info.SwarmNodeId, node.GetProperty("swarmNodeId").GetString());
            Assert.Equal(i == 1 ? "manager" : "worker", node.GetProperty("role").GetString());
            Assert.False(string.IsNullOrEmpty(node.GetProperty("id").GetString()));
            Assert.Equal(JsonValueKind.String, node.GetProperty("lastSeen").ValueKind);
        }
    }

    [Fact]
    public async Task CredentialAddAndRotate_ReachEveryAgentWithoutDeployment_AndEveryNodeChecksIt()
    {
        var revision = await AddAsync();
        await WaitAllAckedAsync(revision);
        await WaitAllChecksAsync("ok", revision);

        var newPassword = "rotated-" + Guid.NewGuid().ToString("N");
        await Htpasswd.SetAsync(lab.Env, _user, newPassword);
        var update = await _cluster.Leader.CtlWithStdinAsync(newPassword, "registry", "update", "lab", "--password-stdin");
        Assert.True(update.Exit == 0, update.ToString());
        var rotated = (await _cluster.RegistryAsync("lab")).GetProperty("revision").GetInt64();
        Assert.True(rotated > revision);

        await WaitAllAckedAsync(rotated);
        await WaitAllChecksAsync("ok", rotated);
    }

    [Fact]
    public async Task PasswordChangedAtRegistry_NodeChecksTurnRedUntilCredentialUpdated()
    {
        var revision = await AddAsync();
        await WaitAllChecksAsync("ok", revision);

        var newPassword = "changed-" + Guid.NewGuid().ToString("N");
        await Htpasswd.SetAsync(lab.Env, _user, newPassword);
        var verify = await _cluster.Leader.CtlAsync("registry", "verify", "lab");
        Assert.NotEqual(0, verify.Exit);

        await _cluster.WaitAsync("every node's check failing with unauthorized", async () =>
        {
            var nodes = (await _cluster.RegistryAsync("lab")).GetProperty("nodes").EnumerateArray().ToList();
            return nodes.Count == lab.Env.Nodes && nodes.All(n =>
                n.GetProperty("status").GetString() == "failed" &&
                n.GetProperty("error").GetString()!.Contains("unauthorized", StringComparison.Ordinal) &&
                n.GetProperty("error").GetString()!.Contains("node " + n.GetProperty("node").GetString(), StringComparison.Ordinal));
        });

        Assert.Equal(0, (await _cluster.Leader.CtlWithStdinAsync(newPassword, "registry", "update", "lab", "--password-stdin")).Exit);
        var updated = (await _cluster.RegistryAsync("lab")).GetProperty("revision").GetInt64();
        await WaitAllChecksAsync("ok", updated);
    }

    [Fact]
    public async Task AgentKilled_MissesRotation_AcksNewestAfterRestart()
    {
        var revision = await AddAsync();
        await WaitAllAckedAsync(revision);

        await _cluster.KillAgentAsync(2);
        await _cluster.WaitAsync("node 2 down", async () => Status(await _cluster.NodesAsync(), 2) == "down");
        var newPassword = "while-down-" + Guid.NewGuid().ToString("N");
        await Htpasswd.SetAsync(lab.Env, _user, newPassword);
        Assert.Equal(0, (await _cluster.Leader.CtlWithStdinAsync(newPassword, "registry", "update", "lab", "--password-stdin")).Exit);
        var rotated = (await _cluster.RegistryAsync("lab")).GetProperty("revision").GetInt64();

        _cluster.StartAgent(2);

        await WaitAllAckedAsync(rotated);
        await WaitAllChecksAsync("ok", rotated);
    }

    [Fact]
    public async Task LeaderRestart_AgentsReconnectByThemselves()
    {
        await _cluster.Leader.RestartAsync();

        await _cluster.WaitAsync("every node ready again", async () => (await _cluster.NodesAsync()).Count(n => n.GetProperty("status").GetString() == "ready") == lab.Env.Nodes);
        var revision = await AddAsync();
        await WaitAllAckedAsync(revision);
    }

    [Fact]
    public async Task EngineRestart_AgentKeepsItsSessionAndChecksThroughTheNewEngine()
    {
        var revision = await AddAsync();
        await WaitAllChecksAsync("ok", revision);

        var restart = await ProcessRunner.RunAsync("bash", [RepoPaths.LabScript, "restart-engine", "2"], TimeSpan.FromMinutes(2));
        Assert.True(restart.ExitCode == 0, restart.Output);
        var restartedAt = DateTimeOffset.UtcNow;

        // Ask every node to check again: node 2's agent must do it through the restarted engine.
        await _cluster.Leader.CtlAsync("registry", "verify", "lab");
        await _cluster.WaitAsync("node 2 to check the credential again after its engine restarted", async () =>
        {
            var node = (await _cluster.RegistryAsync("lab")).GetProperty("nodes").EnumerateArray()
                .FirstOrDefault(n => n.GetProperty("node").GetString() == lab.Env.NodeHostname(2));
            return node.ValueKind == JsonValueKind.Object && node.GetProperty("status").GetString() == "ok" &&
                node.GetProperty("checkedAt").GetDateTimeOffset() > restartedAt;
        });
        Assert.Equal("ready", Status(await _cluster.NodesAsync(), 2));
    }

    [Fact]
    public async Task NetworkCut_NodeMarkedDownThenRecovers()
    {
        var veth = lab.Env["LAB_NODE2_VETH"];
        try
        {
            await Ip("link", "set", veth, "down");
            await _cluster.WaitAsync("node 2 down after its link was cut", async () => Status(await _cluster.NodesAsync(), 2) == "down");
            Assert.Equal("ready", Status(await _cluster.NodesAsync(), 3));
        }
        finally
        {
            await Ip("link", "set", veth, "up");
        }

        await _cluster.WaitAsync("node 2 ready after its link came back", async () => Status(await _cluster.NodesAsync(), 2) == "ready", TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task RemovedNode_ItsCertificateNoLongerWorks()
    {
        var nodes = await _cluster.NodesAsync();
        var node3 = Assert.Single(nodes, n => n.GetProperty("hostname").GetString() == lab.Env.NodeHostname(3));
        var oldId = node3.GetProperty("id").GetString()!;
        await _cluster.KillAgentAsync(3);
        var oldCert = Path.Combine(_cluster.Dir, "old-identity");
        CopyDirectory(_cluster.StateDir(3), oldCert);

        var remove = await _cluster.Leader.CtlAsync("node", "remove", oldId);
        Assert.True(remove.Exit == 0, remove.ToString());

        // The removed identity is refused: an agent started with only the old state and a join
        // token that no longer works cannot get back in.
        var rotate = await _cluster.Leader.CtlAsync("cluster", "rotate-join-token");
        Assert.True(rotate.Exit == 0, rotate.ToString());
        var staleToken = Path.Combine(_cluster.Dir, "stale.token");
        File.Copy(_cluster.TokenFile, staleToken);
        CopyDirectory(oldCert, _cluster.StateDir(3));
        _cluster.StartAgent(3, staleToken);
        Assert.True(await _cluster.Agent(3).WaitForOutputAsync("removed", AgentCluster.Patience), _cluster.Agent(3).Output);
        Assert.True(await _cluster.Agent(3).WaitForOutputAsync("join token rejected", AgentCluster.Patience), _cluster.Agent(3).Output);
        Assert.DoesNotContain(await _cluster.NodesAsync(), n => n.GetProperty("id").GetString() == oldId && n.GetProperty("status").GetString() == "ready");
    }

    [Fact]
    public async Task WrongJoinToken_RefusedWithClearMessagesOnBothSides()
    {
        var forged = _cluster.Leader.JoinToken[..^64] + new string('0', 64);
        var tokenFile = Path.Combine(_cluster.Dir, "forged.token");
        await File.WriteAllTextAsync(tokenFile, forged);
        var stateDir = Path.Combine(_cluster.Dir, "forged-agent");

        await using var agent = Daemon.StartInNetns(lab.Env["LAB_NODE2_NETNS"], "NodeAgent", "cluster-agent",
            "--leader", _cluster.Leader.Address, "--join-token-file", tokenFile, "--state-dir", stateDir, "--docker-host", lab.Env.NodeSocket(2).ToString());

        Assert.True(await agent.WaitForOutputAsync("join token rejected", AgentCluster.Patience), agent.Output);
        Assert.Contains("join refused", _cluster.Leader.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(forged[^64..], agent.Output + _cluster.Leader.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JoinTokenOfAnotherCluster_AgentRefusesTheLeader()
    {
        var other = "CLSTR1-JOIN-" + new string('a', 64) + "-" + new string('b', 64);
        var tokenFile = Path.Combine(_cluster.Dir, "other.token");
        await File.WriteAllTextAsync(tokenFile, other);

        await using var agent = Daemon.StartInNetns(lab.Env["LAB_NODE2_NETNS"], "NodeAgent", "cluster-agent",
            "--leader", _cluster.Leader.Address, "--join-token-file", tokenFile, "--state-dir", Path.Combine(_cluster.Dir, "other-agent"), "--docker-host", lab.Env.NodeSocket(2).ToString());

        Assert.True(await agent.WaitForOutputAsync("not issued by the CA pinned in the token", AgentCluster.Patience), agent.Output);
    }

    [Fact]
    public async Task PushOnlyCredential_NeverSentToAgents_ButTheirRevisionStillAdvances()
    {
        var add = await _cluster.Leader.CtlWithStdinAsync(_password, "registry", "add", "builds", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure", "--push-only");
        Assert.True(add.Exit == 0, add.ToString());
        var pushOnly = (await _cluster.RegistryAsync("builds")).GetProperty("revision").GetInt64();
        var pull = await AddAsync();

        await WaitAllAckedAsync(Math.Max(pull, pushOnly));
        await WaitAllChecksAsync("ok", pull);

        // Every node checked the pull credential it received, and none ever saw the push-only one.
        Assert.Empty((await _cluster.RegistryAsync("builds")).GetProperty("nodes").EnumerateArray());
    }

    // An entry without credentials (issue #13 item 7) is harmless to agents: they never receive
    // it (nothing to log in with), their revision still advances, and their pull credentials work.
    [Fact]
    public async Task EntryWithoutCredentials_NeverSentToAgents_ButTheirRevisionStillAdvances()
    {
        var add = await _cluster.Leader.CtlAsync("registry", "add", "public", "--provider", "generic", "--url", lab.Env.TokenRegistry, "--insecure", "--no-verify");
        Assert.True(add.Exit == 0, add.ToString());
        var anonymous = (await _cluster.RegistryAsync("public")).GetProperty("revision").GetInt64();
        var pull = await AddAsync();

        await WaitAllAckedAsync(Math.Max(pull, anonymous));
        await WaitAllChecksAsync("ok", pull);

        Assert.Empty((await _cluster.RegistryAsync("public")).GetProperty("nodes").EnumerateArray());
    }

    [Fact]
    public async Task Credentials_NeverWrittenToStateDirsLogsOrDockerConfig()
    {
        var revision = await AddAsync();
        await WaitAllAckedAsync(revision);
        await WaitAllChecksAsync("ok", revision);

        for (var node = 1; node <= lab.Env.Nodes; node++)
        {
            foreach (var file in Directory.EnumerateFiles(_cluster.StateDir(node), "*", SearchOption.AllDirectories))
            {
                Assert.DoesNotContain(_password, await File.ReadAllTextAsync(file), StringComparison.Ordinal);
            }
        }

        Assert.DoesNotContain(_password, _cluster.AllAgentLogs, StringComparison.Ordinal);
        Assert.DoesNotContain(_password, _cluster.Leader.Log, StringComparison.Ordinal);
        var dockerConfig = "/root/.docker/config.json";
        Assert.False(File.Exists(dockerConfig) && (await File.ReadAllTextAsync(dockerConfig)).Contains(_user, StringComparison.Ordinal));
    }

    private async Task<long> AddAsync()
    {
        var add = await _cluster.Leader.CtlWithStdinAsync(_password, "registry", "add", "lab", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure");
        Assert.True(add.Exit == 0, add.ToString());
        return (await _cluster.RegistryAsync("lab")).GetProperty("revision").GetInt64();
    }

    private Task WaitAllAckedAsync(long revision) =>
        _cluster.WaitAsync($"every node to ack revision {revision}", async () =>
        {
            var nodes = await _cluster.NodesAsync();
            return nodes.Count == lab.Env.Nodes && nodes.All(n => n.GetProperty("credentialRevision").GetInt64() >= revision);
        });

    private Task WaitAllChecksAsync(string status, long revision) =>
        _cluster.WaitAsync($"every node's check of revision {revision} to be {status}", async () =>
        {
            var nodes = (await _cluster.RegistryAsync("lab")).GetProperty("nodes").EnumerateArray().ToList();
            return nodes.Count == lab.Env.Nodes && nodes.All(n => n.GetProperty("status").GetString() == status && n.GetProperty("revision").GetInt64() >= revision);
        });

    private string? Status(IReadOnlyList<JsonElement> nodes, int node) =>
        nodes.FirstOrDefault(n => n.GetProperty("hostname").GetString() == lab.Env.NodeHostname(node)) is { ValueKind: JsonValueKind.Object } n
            ? n.GetProperty("status").GetString()
            : null;

    private static async Task Ip(params string[] args)
    {
        var result = await ProcessRunner.RunAsync("ip", args, TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.Output);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }
}
