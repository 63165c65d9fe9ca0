using System.CommandLine;
using Cluster.Hosting;
using Cluster.Leader.Hosting;

var dataDir = new Option<DirectoryInfo>("--data-dir")
{
    Description = "Directory for the database, key material, TLS CA and tokens (created on first start, mode 0700)",
    Required = true,
};
var listen = new Option<string>("--listen")
{
    Description = "ADDR:PORT to serve the admin, agent and builder gRPC APIs on",
    DefaultValueFactory = _ => "0.0.0.0:7443",
};
var advertise = new Option<string?>("--advertise")
{
    Description = "Address agents and builders use to reach this leader (put in its certificate); default: the listen address",
};
var dockerHost = DaemonCommandLine.DockerHostOption();
var heartbeat = new Option<double>("--heartbeat-period")
{
    Description = "Seconds between agent heartbeats; a node that misses 3 is marked down (default 5)",
    DefaultValueFactory = _ => 5,
    Validators = { r => { if (r.GetValueOrDefault<double>() is < 0.2 or > 300) { r.AddError("--heartbeat-period must be between 0.2 and 300 seconds"); } } },
};

var prePullDeadline = new Option<double>("--pre-pull-deadline")
{
    Description = "Seconds every node has to pre-pull a deployment's image (default 300)",
    DefaultValueFactory = _ => 300,
};
var convergeDeadline = new Option<double>("--converge-deadline")
{
    Description = "Seconds swarm has to run every task on the new digest before the leader rolls back (default 180)",
    DefaultValueFactory = _ => 180,
};
var root = new RootCommand("cluster-leader: stores registry credentials, nodes, apps and deployments, serves the admin API, and orchestrates deployments through the local swarm manager.")
{
    dataDir, listen, advertise, dockerHost, heartbeat, prePullDeadline, convergeDeadline,
};
listen.Validators.Add(result =>
{
    var value = result.GetValueOrDefault<string>();
    if (!LeaderOptions.TryParseListen(value, out _))
    {
        result.AddError($"--listen '{value}' is not ADDR:PORT (for example 0.0.0.0:7443)");
    }
});
root.SetAction((parse, cancellationToken) =>
{
    // The validator above already rejected unparsable values.
    _ = LeaderOptions.TryParseListen(parse.GetValue(listen), out var endpoint);
    var options = new LeaderOptions
    {
        DataDir = parse.GetValue(dataDir)!.FullName,
        Listen = endpoint!,
        Advertise = parse.GetValue(advertise),
        DockerHost = parse.GetValue(dockerHost)!,
        HeartbeatPeriod = TimeSpan.FromSeconds(parse.GetValue(heartbeat)),
        Deployments = new()
        {
            PrePullDeadline = TimeSpan.FromSeconds(parse.GetValue(prePullDeadline)),
            ConvergeDeadline = TimeSpan.FromSeconds(parse.GetValue(convergeDeadline)),
        },
    };
    return LeaderHost.RunAsync(options, cancellationToken);
});
var rotateDataDir = new Option<DirectoryInfo>("--data-dir") { Description = "The leader's data directory", Required = true };
var rotateKey = new Command("rotate-key", "Re-encrypt every stored secret under a new key and delete the old keys (stop the leader first)") { rotateDataDir };
rotateKey.SetAction(parse => LeaderHost.RotateKey(parse.GetValue(rotateDataDir)!.FullName));
root.Subcommands.Add(rotateKey);
return await DaemonCommandLine.RunAsync(root, args);
