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
var parallel = new Option<int>("--parallel")
{
    Description = "Build jobs run at once (1 to 16)",
    DefaultValueFactory = _ => 1,
};

var root = new RootCommand("cluster-builder: builds images from Git with its local engine and pushes them to the cluster's registry; on a single-node cluster it keeps images local and skips the registry.")
{
    leader, joinToken, joinTokenFile, workDir, dockerHost, parallel,
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
        JoinTokenFile = string.IsNullOrWhiteSpace(parse.GetValue(joinToken)) ? parse.GetValue(joinTokenFile)?.FullName : null,
        WorkDir = parse.GetValue(workDir)!.FullName,
        DockerHost = parse.GetValue(dockerHost)!,
        Parallelism = parse.GetValue(parallel),
    };
    var problems = options.Validate().ToList();
    if (problems.Count > 0)
    {
        foreach (var problem in problems)
        {
            Console.Error.WriteLine($"cluster-builder: {problem}");
        }

        return Task.FromResult(2);
    }

    return BuilderHost.RunAsync(options, cancellationToken);
});
return await DaemonCommandLine.RunAsync(root, args);
