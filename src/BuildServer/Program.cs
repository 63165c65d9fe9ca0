using System.CommandLine;
using Cluster.Hosting;
using Cluster.BuildServer.Hosting;

var leader = DaemonCommandLine.LeaderOption();
var joinToken = JoinTokenOption.Inline();
var joinTokenFile = JoinTokenOption.File();
var workDir = new Option<DirectoryInfo>("--work-dir")
{
    Description = "Directory for the builder's identity and build checkouts",
    Required = true,
};
var dockerHost = DaemonCommandLine.DockerHostOption();

var root = new RootCommand("cluster-builder: builds images from Git with its local engine and pushes them to the cluster's registry; on a single-node cluster it keeps images local and skips the registry.")
{
    leader, joinToken, joinTokenFile, workDir, dockerHost,
};
root.SetAction((parse, cancellationToken) =>
{
    var token = JoinTokenOption.Resolve(parse.GetValue(joinToken), parse.GetValue(joinTokenFile), out var error);
    if (token is null)
    {
        Console.Error.WriteLine($"cluster-builder: {error}");
        return Task.FromResult(2);
    }

    var options = new BuilderOptions
    {
        Leader = parse.GetValue(leader)!,
        JoinToken = token,
        WorkDir = parse.GetValue(workDir)!.FullName,
        DockerHost = parse.GetValue(dockerHost)!,
    };
    return BuilderHost.RunAsync(options, cancellationToken);
});
return await DaemonCommandLine.RunAsync(root, args);
