using Cluster.Cli;

return await ClusterCtl.RunAsync(args, Console.Out, Console.Error, Console.In);
