using Cluster.Cli;
using Cluster.Cli.Connection;

// First, while the process is still single-threaded (setenv is not thread-safe).
MachineTrustStore.Ignore();
return await ClusterCtl.RunAsync(args, Console.Out, Console.Error, Console.In);
