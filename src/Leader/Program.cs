using System.CommandLine;
using Cluster.Hosting;
using Cluster.Leader.Hosting;

var root = LeaderCommandLine.Create(LeaderHost.RunAsync);
var rotateDataDir = new Option<DirectoryInfo>("--data-dir") { Description = "The leader's data directory", Required = true };
var rotateKey = new Command("rotate-key", "Re-encrypt every stored secret under a new key and delete the old keys (stop the leader first)") { rotateDataDir };
rotateKey.SetAction(parse => LeaderHost.RotateKey(parse.GetValue(rotateDataDir)!.FullName));
root.Subcommands.Add(rotateKey);
return await DaemonCommandLine.RunAsync(root, args);
