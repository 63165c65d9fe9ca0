using System.Security.Cryptography;
using System.Text.Json;
using Cluster.Install.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Install.Tests;

// One machine's life with install.sh, for real: all-in-one on the lab's swarm manager (through
// its engine), a stored credential, an upgrade, an agent joining from lab node 2, bad input of
// every kind against the running leader, and uninstall --purge. The machine has no systemd as
// PID 1, so install.sh runs the daemons under its own supervisor, as its users' containers would.
[Collection(InstallCollection.Name)]
[TestCaseOrderer(StepOrderer.Name, StepOrderer.Assembly)]
public sealed class InstallLifecycleTests(InstallFixture fx)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private InstallRoot A => fx.Leader;

    private InstallRoot B => fx.Node2;

    [Fact]
    [Step(1)]
    public async Task AllInOne_installs_starts_and_passes_its_self_check()
    {
        var result = await A.InstallAsync(["all-in-one", "--yes", "--no-build", "--docker-host", fx.ManagerEngine.Uri.ToString(), "--listen", fx.LeaderAddress, "--wait", "120"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("PID 1 is not systemd here", result.Output, StringComparison.Ordinal);
        Assert.Contains("self-check passed", result.Output, StringComparison.Ordinal);
        Assert.Contains($"install.sh agent --leader {fx.LeaderAddress} --join-token-file", result.Output, StringComparison.Ordinal);
        Assert.Contains("registry add", result.Output, StringComparison.Ordinal);

        // Checked again here, independently of the script's own self-check.
        var nodeId = File.ReadAllText(A.NodeIdFile).Trim();
        var node = await WaitForNodeAsync(A, n => n.GetProperty("id").GetString() == nodeId && n.GetProperty("status").GetString() == "ready");
        Assert.Equal(fx.Lab.NodeHostname(1), node.GetProperty("hostname").GetString());
        var show = await A.CtlAsync("cluster", "show", "-o", "json");
        Assert.True(show.ExitCode == 0, show.ToString());
        using (var doc = JsonDocument.Parse(show.Output))
        {
            Assert.Equal(fx.Lab.Nodes > 1 ? "multi-node" : "single-node", doc.RootElement.GetProperty("mode").GetString());
        }

        // The layout, the secrets' modes, the services and their user.
        Assert.True(File.Exists(Path.Combine(A.Prefix, "lib", "cluster-leader", "cluster-leader")));
        Assert.Equal(Mode("600"), File.GetUnixFileMode(Path.Combine(A.Etc, "clusterctl.conf")));
        Assert.Equal(Mode("600"), File.GetUnixFileMode(Path.Combine(A.Data, "leader", "admin.token")));
        Assert.Equal(Mode("600"), File.GetUnixFileMode(Path.Combine(A.Data, "leader", "join.token")));
        Assert.Equal(Mode("700"), File.GetUnixFileMode(Path.Combine(A.Data, "agent")));
        Assert.True(await A.UserExistsAsync(), $"the service user {A.User} was not created");
        var uid = await UidOfUserAsync(A.User);
        foreach (var service in new[] { "cluster-leader", "cluster-agent", "cluster-builder" })
        {
            var pid = A.DaemonPid(service);
            Assert.True(InstallRoot.Alive(pid), $"{service} (pid {pid}) is not running");
            Assert.Equal(uid, InstallRoot.UidOf(pid));
            Assert.True(File.Exists(Path.Combine(A.Data, "log", service + ".log")));
        }

        AssertNoSecretInAnyCommandLine(A);
    }

    [Fact]
    [Step(2)]
    public async Task The_fallback_supervisor_restarts_a_daemon_that_dies_and_status_shows_it()
    {
        var before = A.DaemonPid("cluster-agent");
        using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", before.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var until = DateTime.UtcNow + Patience;
        var after = before;
        while (DateTime.UtcNow < until && (after == before || !InstallRoot.Alive(after)))
        {
            await Task.Delay(250);
            after = A.PidFiles().TryGetValue("cluster-agent.pid", out var pid) ? pid : before;
        }

        Assert.True(after != before && InstallRoot.Alive(after), $"cluster-agent was not restarted:\n{File.ReadAllText(Path.Combine(A.Data, "log", "cluster-agent.log"))}");
        Assert.Contains("cluster-agent exited 137; restarting in 2 s", File.ReadAllText(Path.Combine(A.Data, "log", "cluster-agent.log")), StringComparison.Ordinal);
        var nodeId = File.ReadAllText(A.NodeIdFile).Trim();
        await WaitForNodeAsync(A, n => n.GetProperty("id").GetString() == nodeId && n.GetProperty("status").GetString() == "ready");

        var status = await A.InstallAsync(["status"]);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"cluster-agent: running (pid {after})", status.Output, StringComparison.Ordinal);
        Assert.Contains("cluster-leader: running", status.Output, StringComparison.Ordinal);
        Assert.Contains("cluster-builder: running", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    [Step(3)]
    public async Task Rerun_upgrades_keeping_credentials_tokens_and_the_node_identity()
    {
        var add = await A.CtlWithStdinAsync("not-a-real-password\n", "registry", "add", "lab", "--provider", "generic",
            "--url", fx.Lab["LAB_REGISTRY"], "--username", "alice", "--password-stdin", "--no-verify", "--insecure");
        Assert.True(add.ExitCode == 0, add.ToString());
        var revision = await RegistryRevisionAsync(A, "lab");
        var identity = Fingerprint(Path.Combine(A.Data, "agent"), "node.id", "node.key", "node.crt");
        var tokens = Fingerprint(Path.Combine(A.Data, "leader"), "admin.token", "join.token", "ca.key", "ca.crt");
        var pidsBefore = A.PidFiles();

        var result = await A.InstallAsync(["all-in-one", "--no-build", "--wait", "120"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("stopping the running services (upgrade)", result.Output, StringComparison.Ordinal);
        Assert.Contains("self-check passed", result.Output, StringComparison.Ordinal);
        Assert.Equal(identity, Fingerprint(Path.Combine(A.Data, "agent"), "node.id", "node.key", "node.crt"));
        Assert.Equal(tokens, Fingerprint(Path.Combine(A.Data, "leader"), "admin.token", "join.token", "ca.key", "ca.crt"));
        Assert.Equal(revision, await RegistryRevisionAsync(A, "lab"));
        // Restarted: every daemon is a new process, the old ones are gone.
        foreach (var (file, pid) in pidsBefore)
        {
            Assert.False(InstallRoot.Alive(pid) && InstallRoot.Procs.Any(p => p.Pid == pid && p.CommandLine.Contains(A.Dir, StringComparison.Ordinal)), $"{file}: pid {pid} survived the upgrade");
            Assert.NotEqual(pid, A.PidFiles()[file]);
        }

        // The same node, still one node for lab-node1, ready again.
        var nodeId = File.ReadAllText(A.NodeIdFile).Trim();
        await WaitForNodeAsync(A, n => n.GetProperty("id").GetString() == nodeId && n.GetProperty("status").GetString() == "ready");
        var nodes = await NodesAsync(A);
        // all-in-one runs a builder too, which joins as its own node with role "builder".
        Assert.Single(nodes, n => n.GetProperty("hostname").GetString() == fx.Lab.NodeHostname(1) && n.GetProperty("role").GetString() != "builder");
        Assert.Single(nodes, n => n.GetProperty("hostname").GetString() == fx.Lab.NodeHostname(1) && n.GetProperty("role").GetString() == "builder");
    }

    [Fact]
    [Step(4)]
    public async Task Agent_on_a_second_node_joins_the_leader_and_is_ready()
    {
        var token = fx.SecretFile("join.token", File.ReadAllText(Path.Combine(A.Data, "leader", "join.token")));

        // As on node 2: in its network namespace, with its engine, programs copied from the leader.
        var result = await B.InstallAsync(
            ["agent", "--leader", fx.LeaderAddress, "--join-token-file", token, "--docker-host", fx.WorkerEngine.Uri.ToString(),
             "--binaries", A.Prefix, "--wait", "120"],
            netns: fx.Lab.NodeNetns(2));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("self-check passed", result.Output, StringComparison.Ordinal);
        var nodeId = File.ReadAllText(B.NodeIdFile).Trim();
        var node = await WaitForNodeAsync(A, n => n.GetProperty("id").GetString() == nodeId && n.GetProperty("status").GetString() == "ready");
        Assert.Equal(fx.Lab.NodeHostname(2), node.GetProperty("hostname").GetString());
        Assert.Equal("worker", node.GetProperty("role").GetString());
        // Joined: the agent renews its certificate with the certificate itself, so install.sh
        // deleted its copy of the join token (issue #9 item 2); nothing on the node can join again.
        Assert.False(File.Exists(Path.Combine(B.Etc, "join.token")), "the joined agent's copy of the join token was kept");
        Assert.False(File.Exists(Path.Combine(B.Etc, "clusterctl.conf")), "an agent node gets no admin configuration");
        AssertNoSecretInAnyCommandLine(B, A);
    }

    [Fact]
    [Step(5)]
    public async Task Builder_installs_with_the_token_from_stdin_and_sees_its_engine()
    {
        var builder = fx.NewRoot("c");
        var token = File.ReadAllText(Path.Combine(A.Data, "leader", "join.token"));

        var result = await builder.InstallAsync(
            ["builder", "--leader", fx.LeaderAddress, "--join-token-stdin", "--docker-host", fx.WorkerEngine.Uri.ToString(),
             "--binaries", A.Prefix, "--wait", "120"],
            netns: fx.Lab.NodeNetns(2), stdin: token);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("the builder runs and sees its engine", result.Output, StringComparison.Ordinal);
        Assert.Equal(token.Trim(), File.ReadAllText(Path.Combine(builder.Etc, "join.token")).Trim());
        Assert.Equal(Mode("600"), File.GetUnixFileMode(Path.Combine(builder.Etc, "join.token")));
        Assert.True(InstallRoot.Alive(builder.DaemonPid("cluster-builder")));
        AssertNoSecretInAnyCommandLine(builder);

        var uninstall = await builder.InstallAsync(["uninstall", "--purge"]);
        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.Empty(builder.Processes());
        Assert.Equal(InstallRoot.SkeletonTree, builder.Tree());
    }

    [Fact]
    [Step(6)]
    public async Task Bad_input_gets_a_clear_message_a_nonzero_exit_and_changes_nothing()
    {
        var joinToken = File.ReadAllText(Path.Combine(A.Data, "leader", "join.token")).Trim();
        var adminToken = File.ReadAllText(Path.Combine(A.Data, "leader", "admin.token")).Trim();
        var wrongSecret = fx.SecretFile("wrong.token", joinToken[..^8] + "00000000\n");
        var otherCluster = fx.SecretFile("other.token", $"CLSTR1-JOIN-{new string('0', 64)}-{new string('1', 64)}\n");
        var admin = fx.SecretFile("admin-as-join.token", adminToken + "\n");
        var garbage = fx.SecretFile("garbage.token", "hello\n");
        var closedPort = $"{fx.Lab.HostIp}:{InstallFixture.FreePort(fx.Lab.HostIp)}";
        var agent = new[] { "agent", "--leader", fx.LeaderAddress, "--docker-host", fx.WorkerEngine.Uri.ToString(), "--binaries", A.Prefix };
        var netns = fx.Lab.NodeNetns(2);

        await AssertRefusedAsync("missing token", agent, "needs the join token", netns);
        await AssertRefusedAsync("token file missing", [.. agent, "--join-token-file", Path.Combine(fx.WorkDir, "nope")], "does not exist", netns);
        await AssertRefusedAsync("malformed token", [.. agent, "--join-token-file", garbage], "malformed", netns);
        await AssertRefusedAsync("admin token", [.. agent, "--join-token-file", admin], "that is the admin token", netns);
        await AssertRefusedAsync("wrong token", [.. agent, "--join-token-file", wrongSecret], "join token rejected", netns);
        await AssertRefusedAsync("another cluster's token", [.. agent, "--join-token-file", otherCluster], "not the cluster this join token belongs to", netns);
        await AssertRefusedAsync("unreachable leader",
            ["agent", "--leader", closedPort, "--join-token-file", wrongSecret, "--docker-host", fx.WorkerEngine.Uri.ToString(), "--binaries", A.Prefix],
            "cannot reach the leader", netns);
        // --join-token TOKEN is accepted (the documented interface) with a warning about ps; a
        // wrong one is refused like the file form.
        await AssertRefusedAsync("wrong token on the command line", [.. agent, "--join-token", File.ReadAllText(wrongSecret).Trim()], "join token rejected", netns);
        await AssertRefusedAsync("leader on a swarm worker", ["leader", "--yes", "--no-build", "--docker-host", fx.WorkerEngine.Uri.ToString()], "is a swarm worker");
        await AssertRefusedAsync("port taken", ["all-in-one", "--yes", "--no-build", "--docker-host", fx.ManagerEngine.Uri.ToString(), "--listen", fx.LeaderAddress], "already in use");
        await AssertRefusedAsync("socket the service user cannot reach",
            ["all-in-one", "--yes", "--no-build", "--docker-host", "unix://" + fx.Lab.NodeSocketPath(1), "--listen", closedPort], "would not reach the Docker socket");
        await AssertRefusedAsync("no engine", ["agent", "--leader", fx.LeaderAddress, "--join-token-file", wrongSecret, "--docker-host", $"unix://{fx.WorkDir}/none.sock"], "no Docker engine answers");
        await AssertRefusedAsync("non-root user", ["all-in-one", "--yes", "--no-build"], "run as root", asUser: "nobody");
        await AssertRefusedAsync("unknown flag", ["all-in-one", "--frobnicate"], "unknown flag");

        // The running cluster did not notice: no node was added by any of these.
        var nodes = await NodesAsync(A);
        Assert.Equal(2, nodes.Count(n => n.GetProperty("id").GetString() is { Length: > 0 } && n.GetProperty("role").GetString() != "builder"));
    }

    [Fact]
    [Step(7)]
    public async Task Uninstall_purge_leaves_no_process_no_file_and_no_user()
    {
        var pids = A.PidFiles().Values.Concat(B.PidFiles().Values).ToList();
        Assert.NotEmpty(pids);

        var agent = await B.InstallAsync(["uninstall", "--purge"]);
        var leader = await A.InstallAsync(["uninstall", "--purge"]);

        Assert.True(agent.ExitCode == 0, agent.ToString());
        Assert.True(leader.ExitCode == 0, leader.ToString());
        foreach (var pid in pids)
        {
            Assert.False(InstallRoot.Alive(pid) && InstallRoot.Procs.Any(p => p.Pid == pid && (p.CommandLine.Contains(A.Dir, StringComparison.Ordinal) || p.CommandLine.Contains(B.Dir, StringComparison.Ordinal))),
                $"pid {pid} still runs after uninstall");
        }

        Assert.Empty(A.Processes());
        Assert.Empty(B.Processes());
        Assert.Equal(InstallRoot.SkeletonTree, A.Tree());
        Assert.Equal(InstallRoot.SkeletonTree, B.Tree());
        Assert.False(await A.UserExistsAsync(), $"user {A.User} is still there");
        Assert.False(await B.UserExistsAsync(), $"user {B.User} is still there");
    }

    // Runs install.sh with bad input in a fresh root: it must fail with `message`, and leave
    // the root exactly as it was, start nothing and create no user.
    private async Task AssertRefusedAsync(string what, string[] args, string message, string? netns = null, string? asUser = null)
    {
        var root = fx.NewRoot("bad-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
        ProcessResult result;
        if (asUser is null)
        {
            result = await root.InstallAsync(args, netns, timeout: TimeSpan.FromMinutes(2));
        }
        else
        {
            result = await ProcessRunner.RunAsync("runuser", ["-u", asUser, "--", "bash", Repo.InstallScript, .. args], TimeSpan.FromMinutes(1), root.Env);
        }

        Assert.True(result.ExitCode != 0, $"{what}: install.sh succeeded:\n{result}");
        Assert.True(result.Output.Contains(message, StringComparison.Ordinal), $"{what}: expected '{message}' in:\n{result}");
        Assert.True(InstallRoot.SkeletonTree.SequenceEqual(root.Tree()), $"{what}: the root changed:\n{string.Join('\n', root.Tree())}\n{result}");
        Assert.True(root.Processes().Count == 0, $"{what}: processes left: {string.Join('\n', root.Processes())}");
        Assert.False(await root.UserExistsAsync(), $"{what}: user {root.User} was created");
    }

    private static void AssertNoSecretInAnyCommandLine(params InstallRoot[] roots)
    {
        var secrets = roots.SelectMany(r => new[] { Path.Combine(r.Data, "leader", "admin.token"), Path.Combine(r.Data, "leader", "join.token"), Path.Combine(r.Etc, "join.token") })
            .Where(File.Exists).Select(f => File.ReadAllText(f).Trim()).ToList();
        Assert.NotEmpty(secrets);
        foreach (var (pid, commandLine) in InstallRoot.Procs)
        {
            foreach (var secret in secrets)
            {
                // The secret half of a token, as it would appear in argv.
                Assert.False(commandLine.Contains(secret[^64..], StringComparison.Ordinal), $"pid {pid} carries a token in its command line: {commandLine[..Math.Min(80, commandLine.Length)]}…");
            }
        }
    }

    private static async Task<JsonElement> WaitForNodeAsync(InstallRoot root, Func<JsonElement, bool> match)
    {
        var until = DateTime.UtcNow + Patience;
        IReadOnlyList<JsonElement> nodes = [];
        while (DateTime.UtcNow < until)
        {
            nodes = await NodesAsync(root);
            var found = nodes.FirstOrDefault(match);
            if (found.ValueKind != JsonValueKind.Undefined)
            {
                return found;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"no matching node within {Patience.TotalSeconds} s; nodes: {string.Join('\n', nodes)}");
    }

    private static async Task<IReadOnlyList<JsonElement>> NodesAsync(InstallRoot root)
    {
        var list = await root.CtlAsync("node", "list", "-o", "json");
        if (list.ExitCode != 0)
        {
            return [];
        }

        using var doc = JsonDocument.Parse(list.Output);
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static async Task<long> RegistryRevisionAsync(InstallRoot root, string name)
    {
        var show = await root.CtlAsync("registry", "list", "-o", "json");
        Assert.True(show.ExitCode == 0, show.ToString());
        using var doc = JsonDocument.Parse(show.Output);
        return doc.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == name).GetProperty("revision").GetInt64();
    }

    private static async Task<int> UidOfUserAsync(string user)
    {
        var id = await ProcessRunner.RunAsync("id", ["-u", user], TimeSpan.FromSeconds(30));
        Assert.True(id.ExitCode == 0, id.ToString());
        return int.Parse(id.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Fingerprint(string dir, params string[] files) =>
        string.Join(",", files.Select(f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, f))))));

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);
}
