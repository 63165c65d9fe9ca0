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
