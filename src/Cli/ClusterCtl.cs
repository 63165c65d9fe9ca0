using System.CommandLine;
using Cluster.Cli.Commands;

namespace Cluster.Cli;

// clusterctl's command tree (INTERFACE.md). Output goes through the writers given here so
// tests run the real command tree in-process and read exactly what a user would see.
public static class ClusterCtl
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = Build(stdout, stderr);
        var parse = root.Parse(args);
        return parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    internal static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("clusterctl: administer a cluster through its leader's admin API");
        root.Options.Add(GlobalOptions.Leader);
        root.Options.Add(GlobalOptions.Token);
        root.Subcommands.Add(ImageCommands.Build(stdout, stderr));
        return root;
    }
}
