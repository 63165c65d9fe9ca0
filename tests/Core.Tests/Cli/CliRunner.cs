using Cluster.Cli;

namespace Cluster.Core.Tests.Cli;

// Runs clusterctl's real command tree in-process and captures what a user would see.
internal static class CliRunner
{
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await ClusterCtl.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
