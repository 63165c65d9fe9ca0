using System.CommandLine;
using Cluster.Hosting;
using Cluster.NodeAgent.Hosting;

var leader = DaemonCommandLine.LeaderOption();
var joinToken = JoinTokenOption.Inline();
var joinTokenFile = JoinTokenOption.File();
var stateDir = new Option<DirectoryInfo>("--state-dir")
{
    Description = "Directory for this node's identity (key and certificate). Credentials are never written here.",
    Required = true,
};
var dockerHost = DaemonCommandLine.DockerHostOption();

var root = new RootCommand("cluster-agent: runs on every node, holds a session with the leader, receives registry credentials as they change, checks them with the local engine and pre-pulls images before deployments.")
{
    leader, joinToken, joinTokenFile, stateDir, dockerHost,
};
root.SetAction((parse, cancellationToken) =>
{
    var token = JoinTokenOption.Resolve(parse.GetValue(joinToken), parse.GetValue(joinTokenFile), out var error);
    if (token is null)
    {
        Console.Error.WriteLine($"cluster-agent: {error}");
        return Task.FromResult(2);
    }

    var options = new AgentOptions
    {
        Leader = parse.GetValue(leader)!,
        JoinToken = token,
        StateDir = parse.GetValue(stateDir)!.FullName,
        DockerHost = parse.GetValue(dockerHost)!,
    };
    return AgentHost.RunAsync(options, cancellationToken);
});
return await DaemonCommandLine.RunAsync(root, args);
