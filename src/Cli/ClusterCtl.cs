using System.CommandLine;
using Cluster.Cli.Commands;

namespace Cluster.Cli;

// clusterctl's command tree (INTERFACE.md). Output goes through the writers given here so
// tests run the real command tree in-process and read exactly what a user would see.
public static class ClusterCtl
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, TextReader? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        // Nothing a leader relays (from agents, registries, engines) can drive the terminal.
        stdout = new Output.TerminalSafeWriter(stdout);
        stderr = new Output.TerminalSafeWriter(stderr);
        var root = Build(stdout, stderr, stdin ?? Console.In);
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            // A bug, not an expected failure (those are reported by LeaderCall); still one line.
            await stderr.WriteLineAsync($"clusterctl: internal error: {e.GetType().Name}: {e.Message}");
            return 70;
        }
    }

    internal static RootCommand Build(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var root = new RootCommand("clusterctl: administer a cluster through its leader's admin API");
        root.Options.Add(GlobalOptions.Leader);
        root.Options.Add(GlobalOptions.Token);
        root.Subcommands.Add(ImageCommands.Build(stdout, stderr));
        root.Subcommands.Add(RegistryCommands.Build(stdout, stderr, stdin));
        root.Subcommands.Add(ClusterCommands.Build(stdout, stderr));
        root.Subcommands.Add(NodeCommands.Build(stdout, stderr));
        root.Subcommands.Add(AppCommands.Build(stdout, stderr));
        root.Subcommands.Add(WebhookCommands.Build(stdout, stderr));
        root.Subcommands.Add(GitCommands.Build(stdout, stderr, stdin));
        foreach (var command in DeployCommands.Build(stdout, stderr))
        {
            root.Subcommands.Add(command);
        }
        return root;
    }
}
