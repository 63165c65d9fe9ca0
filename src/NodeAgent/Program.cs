using System.CommandLine;
using Cluster.Hosting;
using Cluster.NodeAgent.Hosting;
using Cluster.NodeJoin;

var leader = DaemonCommandLine.LeaderOption();
var joinToken = JoinTokenOption.Inline();
var joinTokenFile = JoinTokenOption.File();
var stateDir = new Option<DirectoryInfo>("--state-dir")
{
    Description = "Directory for this node's identity (node.key, node.crt, ca.crt, node.id). Credentials are never written here.",
    Required = true,
};
var dockerHost = DaemonCommandLine.DockerHostOption();
var writeDockerConfig = new Option<bool>("--write-docker-config")
{
    Description = "Also write the cluster's pull credentials into this node's docker CLI config ($DOCKER_CONFIG/config.json, " +
        "else $HOME/.docker/config.json, mode 0600) so the operator's own `docker pull` can use them. Off by default: " +
        "credentials then live only in the agent's memory. Swarm does not need this file. Turning it off later removes " +
        "the entries the agent wrote at its next start.",
};

var root = new RootCommand("cluster-agent: runs on every node, holds a session with the leader, receives registry credentials as they change, checks them with the local engine and pre-pulls images before deployments.")
{
    leader, joinToken, joinTokenFile, stateDir, dockerHost, writeDockerConfig,
};
// `cluster-agent join --check --state-dir DIR` and `cluster-agent status --state-dir DIR`: the
// daemon's own answers for install.sh and operators (one line, an exit code), read from the
// state dir; no leader or engine needed.
var checkStateDir = new Option<DirectoryInfo>("--state-dir") { Description = "The agent's state dir", Required = true };
var check = new Option<bool>("--check") { Description = "Only say whether this node has joined (exit 0) or not (exit 1), in one line" };
var join = new Command("join", "Whether this node has joined the cluster (use with --check)") { checkStateDir, check };
join.SetAction(parse =>
{
    if (!parse.GetValue(check))
    {
        Console.Error.WriteLine("cluster-agent join: only --check is supported; the agent joins by itself when it runs with a join token");
        return 2;
    }

    return NodeCheckCommands.JoinCheck(parse.GetValue(checkStateDir)!.FullName, Console.Out, TimeProvider.System);
});
var statusStateDir = new Option<DirectoryInfo>("--state-dir") { Description = "The agent's state dir", Required = true };
var status = new Command("status", "The running agent's state in one line: exit 0 connected, 1 not (yet), 3 removed, 4 another agent holds this node") { statusStateDir };
status.SetAction(parse => NodeCheckCommands.Status(parse.GetValue(statusStateDir)!.FullName, Console.Out));
root.Subcommands.Add(join);
root.Subcommands.Add(status);

root.SetAction((parse, cancellationToken) =>
{
    // A joined node needs no join token (it renews with its certificate; install.sh deletes the
    // token file after the join), so a missing token is an error only before the first join.
    var token = JoinTokenOption.Resolve(parse.GetValue(joinToken), parse.GetValue(joinTokenFile), out var error);
    var state = parse.GetValue(stateDir)!.FullName;
    if (token is null && !new IdentityStore(state).TryLoad(out _, out _))
    {
        Console.Error.WriteLine($"cluster-agent: {error}");
        return Task.FromResult(2);
    }

    var options = new AgentOptions
    {
        Leader = parse.GetValue(leader)!,
        JoinToken = token ?? "",
        JoinTokenFile = string.IsNullOrWhiteSpace(parse.GetValue(joinToken)) ? parse.GetValue(joinTokenFile)?.FullName : null,
        StateDir = state,
        DockerHost = parse.GetValue(dockerHost)!,
        WriteDockerConfig = parse.GetValue(writeDockerConfig),
    };
    var problems = options.Validate().ToList();
    if (problems.Count > 0)
    {
        foreach (var problem in problems)
        {
            Console.Error.WriteLine($"cluster-agent: {problem}");
        }

        return Task.FromResult(2);
    }

    return AgentHost.RunAsync(options, cancellationToken);
});
return await DaemonCommandLine.RunAsync(root, args);
