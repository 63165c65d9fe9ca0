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
    public async Task RemovedNode_StaysOutWithAValidJoinTokenAndAFreshStateDir_UntilReadmitted()
    {
        // Issue #9 item 2. On the old code the removed agent forgot its refused certificate and
        // joined again with the join token on its disk, within seconds.
        var oldId = _cluster.NodeId(await _cluster.NodesAsync(), 3);
        var remove = await _cluster.Leader.CtlAsync("node", "remove", oldId);
        Assert.True(remove.Exit == 0, remove.ToString());

        const string Removed = "this node was removed from the cluster; ask an admin to run `clusterctl node readmit";
        Assert.True(await _cluster.Agent(3).WaitForOutputAsync(Removed, AgentCluster.Patience), _cluster.Agent(3).Output);
        var status = await AgentCluster.AgentCommandAsync("status", "--state-dir", _cluster.StateDir(3));
        Assert.True(status.Exit == 3, status.ToString());
        Assert.Contains(oldId, status.Output, StringComparison.Ordinal);

        // A fresh state dir (a new enrollment id) with the valid join token: refused by the swarm
        // node id the removed node was bound to.
        var fresh = Path.Combine(_cluster.Dir, "fresh-n3");
        await using (var again = _cluster.StartExtraAgent(3, fresh))
        {
            Assert.True(await again.WaitForOutputAsync(Removed, AgentCluster.Patience), again.Output);
            Assert.Equal(1, (await AgentCluster.AgentCommandAsync("join", "--check", "--state-dir", fresh)).Exit);
        }

        // Said once, and no retries: the paused agent is still running, has said it exactly
        // once, and the leader refused it only as often as it was asked (once per agent).
        Assert.Null(await _cluster.Agent(3).WaitForExitAsync(TimeSpan.FromSeconds(3)));
        Assert.Equal(1, Count(_cluster.Agent(3).Output, Removed));
        Assert.DoesNotContain(await _cluster.NodesAsync(), n => n.GetProperty("id").GetString() == oldId);

        var readmit = await _cluster.Leader.CtlAsync("node", "readmit", oldId);
        Assert.True(readmit.Exit == 0, readmit.ToString());
        await _cluster.KillAgentAsync(3);
        _cluster.StartAgent(3);
        await _cluster.WaitAsync("node 3 ready again under its old id", async () =>
            (await _cluster.NodesAsync()).Any(n => n.GetProperty("id").GetString() == oldId && n.GetProperty("status").GetString() == "ready"));
        Assert.Equal(0, (await AgentCluster.AgentCommandAsync("status", "--state-dir", _cluster.StateDir(3))).Exit);
    }

    [Fact]
    public async Task SecondAgentOnOneSwarmNode_RefusedAndReportedOnce_FirstStaysReady()
    {
        // Issue #13 item 1 / #9 item 6: two agents claiming one swarm node id. The second is
        // refused (it never gets a certificate), says so once, and the first one's session is
        // never replaced.
        var firstId = _cluster.NodeId(await _cluster.NodesAsync(), 2);
        var opened = Count(_cluster.Leader.Log, $"opened for node {firstId}");
        await using var second = _cluster.StartExtraAgent(2, Path.Combine(_cluster.Dir, "second-n2"));

        Assert.True(await second.WaitForOutputAsync("another agent already holds this node", AgentCluster.Patience), second.Output);
        Assert.Null(await second.WaitForExitAsync(TimeSpan.FromSeconds(3)));
        Assert.Equal(1, Count(second.Output, "another agent already holds this node"));
        Assert.Equal(opened, Count(_cluster.Leader.Log, $"opened for node {firstId}"));
        Assert.Equal("ready", Status(await _cluster.NodesAsync(), 2));
        Assert.Equal(lab.Env.Nodes, (await _cluster.NodesAsync()).Count);
        Assert.Equal(4, (await AgentCluster.AgentCommandAsync("status", "--state-dir", Path.Combine(_cluster.Dir, "second-n2"))).Exit);
    }

    [Fact]
    public async Task JoinedAgent_NeedsNoJoinToken_RestartsWithTheTokenFileDeleted()
    {
        // install.sh deletes the token file once the node has joined: the agent must come back
        // on its certificate alone.
        var id = _cluster.NodeId(await _cluster.NodesAsync(), 2);
        await _cluster.KillAgentAsync(2);
        var gone = Path.Combine(_cluster.Dir, "deleted.token");
        _cluster.StartAgent(2, gone);

        await _cluster.WaitAsync("node 2 ready again without a join token", async () =>
            (await _cluster.NodesAsync()).Any(n => n.GetProperty("id").GetString() == id && n.GetProperty("status").GetString() == "ready"));
        Assert.Equal(0, (await AgentCluster.AgentCommandAsync("join", "--check", "--state-dir", _cluster.StateDir(2))).Exit);
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
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
}
