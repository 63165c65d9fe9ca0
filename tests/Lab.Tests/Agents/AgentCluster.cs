using System.Text.Json;
using Cluster.Lab.Tests.Fixture;
using Cluster.Lab.Tests.Leader;
using Cluster.Testing;

namespace Cluster.Lab.Tests.Agents;

// A leader on the lab bridge and one real cluster-agent per lab node, each agent inside its
// node's network namespace and talking to its node's engine, as on separate machines. Short
// heartbeats (1 s) so "down" shows within seconds.
public sealed class AgentCluster : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly LabEnvironment _env;
    private readonly Dictionary<int, Daemon> _agents = [];
    private readonly List<string> _finishedAgentLogs = [];

    private AgentCluster(LabEnvironment env, LeaderProcess leader, string dir)
    {
        _env = env;
        Leader = leader;
        Dir = dir;
    }

    public LeaderProcess Leader { get; }

    public string Dir { get; }

    public int Nodes => _env.Nodes;

    public string AllAgentLogs => string.Join("\n", _finishedAgentLogs.Concat(_agents.Values.Select(a => a.Output)));

    public static Task<AgentCluster> StartAsync(LabEnvironment env, params string[] leaderArgs) =>
        StartAsync(env, new Dictionary<string, string>(), leaderArgs);

    // leaderEnvironment: extra environment for the leader process (e.g. PATH with test helpers).
    public static Task<AgentCluster> StartAsync(LabEnvironment env, IReadOnlyDictionary<string, string> leaderEnvironment, params string[] leaderArgs) =>
        StartOnAsync(env, [.. Enumerable.Range(1, env?.Nodes ?? 0)], leaderEnvironment, leaderArgs);

    // Agents on `nodes` only (the others get none until StartAgent), for tests of a smaller swarm.
    public static async Task<AgentCluster> StartOnAsync(LabEnvironment env, IReadOnlyList<int> nodes, IReadOnlyDictionary<string, string> leaderEnvironment, params string[] leaderArgs)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(nodes);
        // A 1 s heartbeat (a node is down after 3 s) unless the test chose its own.
        string[] heartbeat = leaderArgs.Contains("--heartbeat-period") ? [] : ["--heartbeat-period", "1"];
        var leader = await LeaderProcess.StartAsync(env.ManagerSocket, env.HostIp, leaderEnvironment, [.. heartbeat, .. leaderArgs]);
        var cluster = new AgentCluster(env, leader, Directory.CreateTempSubdirectory("cluster-agents-test-").FullName);
        foreach (var node in nodes)
        {
            cluster.StartAgent(node);
        }

        await cluster.WaitAsync("every node ready", async () => (await cluster.NodesAsync()).Count(n => n.GetProperty("status").GetString() == "ready") == nodes.Count);
        return cluster;
    }

    public string StateDir(int node) => Path.Combine(Dir, $"agent-n{node}");

    public string TokenFile => Path.Combine(Dir, "join.token");

    public Daemon Agent(int node) => _agents[node];

    public void StartAgent(int node, string? joinTokenFile = null, string? stateDir = null)
    {
        if (joinTokenFile is null)
        {
            File.WriteAllText(TokenFile, Leader.JoinToken + "\n");
            File.SetUnixFileMode(TokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        _agents[node] = Daemon.StartInNetns(_env[$"LAB_NODE{node}_NETNS"], "NodeAgent", "cluster-agent",
            "--leader", Leader.Address, "--join-token-file", joinTokenFile ?? TokenFile,
            "--state-dir", stateDir ?? StateDir(node), "--docker-host", _env.NodeSocket(node).ToString());
    }

    // A second agent beside the ones the cluster runs (a clone, a duplicate); the caller disposes it.
    public Daemon StartExtraAgent(int node, string stateDir) =>
        Daemon.StartInNetns(_env[$"LAB_NODE{node}_NETNS"], "NodeAgent", "cluster-agent",
            "--leader", Leader.Address, "--join-token-file", TokenFile,
            "--state-dir", stateDir, "--docker-host", _env.NodeSocket(node).ToString());

    // `cluster-agent status` / `join --check` against a state dir: the daemon's own answer.
    public static async Task<(int Exit, string Output)> AgentCommandAsync(params string[] args) =>
        await Daemon.RunAsync("NodeAgent", "cluster-agent", args);

    public string NodeId(IReadOnlyList<JsonElement> nodes, int node) =>
        nodes.Single(n => n.GetProperty("hostname").GetString() == _env.NodeHostname(node)).GetProperty("id").GetString()!;

    public async Task KillAgentAsync(int node)
    {
        var agent = _agents[node];
        agent.Signal("KILL");
        await agent.WaitForExitAsync(TimeSpan.FromSeconds(30));
        _finishedAgentLogs.Add(agent.Output);
        await agent.DisposeAsync();
        _agents.Remove(node);
    }

    public async Task<IReadOnlyList<JsonElement>> NodesAsync()
    {
        var list = await Leader.CtlAsync("node", "list", "-o", "json");
        if (list.Exit != 0)
        {
            return [];
        }

        using var doc = JsonDocument.Parse(list.Stdout);
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    public async Task<JsonElement> RegistryAsync(string name)
    {
        var show = await Leader.CtlAsync("registry", "show", name, "-o", "json");
        if (show.Exit != 0)
        {
            throw new InvalidOperationException(show.ToString());
        }

        using var doc = JsonDocument.Parse(show.Stdout);
        return doc.RootElement.Clone();
    }

    // Polls until the condition holds, bounded in time; fails naming what was awaited and showing
    // the current nodes, so a failure explains itself.
    public async Task WaitAsync(string what, Func<Task<bool>> condition, TimeSpan? patience = null)
    {
        var until = DateTime.UtcNow + (patience ?? Patience);
        while (DateTime.UtcNow < until)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(250);
        }

        var nodes = await Leader.CtlAsync("node", "list");
        throw new TimeoutException($"waited {(patience ?? Patience).TotalSeconds:0} s for {what}\nnodes:\n{nodes.Stdout}{nodes.Stderr}\nleader log tail:\n{Tail(Leader.Log)}\nagent logs tail:\n{Tail(AllAgentLogs)}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents.Values)
        {
            await agent.DisposeAsync();
        }

        await Leader.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // harmless leftover in /tmp
        }
    }

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;
}
